namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    private KernelCall Pool(string name, Pool2dGeometry g, Tensor a, Tensor b, Tensor? c = null)
    {
        var call = Kernel("pool2d.cl", name).Buf(a).Buf(b);
        if (c is not null) call = call.Buf(c);
        return call.Int(g.N * g.C).Int(g.H).Int(g.W).Int(g.OutH).Int(g.OutW).Int(g.KernelH).Int(g.KernelW).Int(g.StrideH).Int(g.StrideW).Int(g.PadH).Int(g.PadW);
    }

    protected override void MaxPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g) => Pool("max_pool2d_forward", g, x, y).Launch(y.Length);
    protected override void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        // each output cell's argmax (ints) in the shared workspace, then the gather
        var argmax = Scratch(dy.Length);
        Pool("max_pool2d_backward_argmax", g, x, argmax).Launch(dy.Length);
        Pool("max_pool2d_backward", g, argmax, dy, dx).Launch(dx.Length);
    }
    protected override void AvgPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g) => Pool("avg_pool2d_forward", g, x, y).Launch(y.Length);
    protected override void AvgPool2dBackwardInternal(Tensor dy, Tensor dx, Pool2dGeometry g) => Pool("avg_pool2d_backward", g, dy, dx).Launch(dx.Length);

    protected override void GlobalAvgPoolForwardInternal(Tensor x, Tensor y, int planes, int planeSize) =>
        Kernel("pool2d.cl", "global_avg_pool_forward").Buf(x).Buf(y).Int(planes).Int(planeSize).Launch(planes);

    protected override void GlobalAvgPoolBackwardInternal(Tensor dy, Tensor dx, int planes, int planeSize) =>
        Kernel("pool2d.cl", "global_avg_pool_backward").Buf(dy).Buf(dx).Int(planes).Int(planeSize).Launch(dx.Length);
}

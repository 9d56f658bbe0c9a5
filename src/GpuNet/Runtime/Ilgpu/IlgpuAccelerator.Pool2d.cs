using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    private static PoolShape Pool(Pool2dGeometry g) => new()
    {
        Planes = g.N * g.C, H = g.H, W = g.W, OH = g.OutH, OW = g.OutW, KH = g.KernelH, KW = g.KernelW,
        SH = g.StrideH, SW = g.StrideW, PH = g.PadH, PW = g.PadW,
    };

    protected override void MaxPool2dForwardInternal(Tensor x, Tensor y, Tensor? argmax, Pool2dGeometry g) =>
        K<F, F, F, int, PoolShape>(Pool2dKernels.MaxPool2dForward)(Stride(y.Length), V(x), V(y), V(argmax ?? y),
            argmax is null ? 0 : 1, Pool(g));

    protected override void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Tensor? argmax,
        Pool2dGeometry g)
    {
        // each output cell's argmax: the forward's, or found again into the workspace; then the gather
        if (argmax is null)
        {
            argmax = Scratch(dy.Length);
            K<F, F, PoolShape>(Pool2dKernels.MaxPool2dBackwardArgmax)(Stride(dy.Length), V(x), V(argmax), Pool(g));
        }
        K<F, F, F, PoolShape>(Pool2dKernels.MaxPool2dBackward)(Stride(dx.Length), V(argmax), V(dy), V(dx), Pool(g));
    }

    protected override void AvgPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g) =>
        K<F, F, PoolShape>(Pool2dKernels.AvgPool2dForward)(Stride(y.Length), V(x), V(y), Pool(g));

    protected override void AvgPool2dBackwardInternal(Tensor dy, Tensor dx, Pool2dGeometry g) =>
        K<F, F, PoolShape>(Pool2dKernels.AvgPool2dBackward)(Stride(dx.Length), V(dy), V(dx), Pool(g));

    protected override void GlobalAvgPoolForwardInternal(Tensor x, Tensor y, int planes, int planeSize) =>
        K<F, F, int>(Pool2dKernels.GlobalAvgPoolForward)(Stride(planes), V(x), V(y), planeSize);

    protected override void GlobalAvgPoolBackwardInternal(Tensor dy, Tensor dx, int planes, int planeSize) =>
        K<F, F, int>(Pool2dKernels.GlobalAvgPoolBackward)(Stride(dx.Length), V(dy), V(dx), planeSize);
}

namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    protected override void FillInternal(Tensor t, float value) => Kernel("elementwise.cl", "fill").Buf(t).Int(t.Length).Float(value).Launch(t.Length);
    protected override void CopyInternal(Tensor src, Tensor dst) => Kernel("elementwise.cl", "copy").Buf(src).Buf(dst).Int(src.Length).Launch(src.Length);
    protected override void AxpyInternal(float alpha, Tensor x, Tensor y) => Kernel("elementwise.cl", "axpy").Float(alpha).Buf(x).Buf(y).Int(x.Length).Launch(x.Length);
    protected override void ScaleInternal(Tensor t, float alpha) => Kernel("elementwise.cl", "scale").Buf(t).Float(alpha).Int(t.Length).Launch(t.Length);

    protected override void BiasAddForwardInternal(Tensor y, Tensor bias, int n, int c, int inner) =>
        Kernel("elementwise.cl", "bias_add_forward").Buf(y).Buf(bias).Int(n).Int(c).Int(inner).Launch(y.Length);

    private const int ReductionLocal = 64;   // BIAS_LOCAL and BN_LOCAL in the kernels

    protected override void BiasAddBackwardInternal(Tensor dy, Tensor dbias, int n, int c, int inner) =>
        Kernel("elementwise.cl", "bias_add_backward").Buf(dy).Buf(dbias).Int(n).Int(c).Int(inner).Launch(c * ReductionLocal, ReductionLocal);

    protected override void DropoutForwardInternal(Tensor x, Tensor y, Tensor mask, float p, uint seed, DropoutIndexing ix) =>
        Kernel("elementwise.cl", "dropout_forward").Buf(x).Buf(y).Buf(mask).Float(p).UInt(seed)
            .Int(ix.RowLength).Int(ix.RowOffset).Int(ix.GlobalRowLength).Int(x.Length).Launch(x.Length);

    protected override void CopyRowsInternal(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows, int rowLength) =>
        Kernel("elementwise.cl", "copy_rows").Buf(src, srcOffset).Int(srcStride).Buf(dst, dstOffset).Int(dstStride).Int(rows).Int(rowLength).Launch(rows * rowLength);

    protected override void DropoutBackwardInternal(Tensor dy, Tensor mask, Tensor dx) =>
        Kernel("elementwise.cl", "dropout_backward").Buf(dy).Buf(mask).Buf(dx).Int(dy.Length).Launch(dy.Length);
}

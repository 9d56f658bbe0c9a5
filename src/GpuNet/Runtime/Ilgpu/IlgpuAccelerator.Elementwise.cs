using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    protected override void FillInternal(Tensor t, float value) =>
        K<F, float>(CopyKernels.Fill)(Stride(t.Length), V(t), value);

    protected override void CopyInternal(Tensor src, Tensor dst) =>
        K<F, F>(CopyKernels.Copy)(Stride(src.Length), V(src), V(dst));

    protected override void CopyRowsInternal(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset,
        int dstStride, int rows, int rowLength) =>
        K<F, F, RowCopy>(CopyKernels.CopyRows)(Stride(rows * rowLength),
            V(src, srcOffset, (rows - 1) * srcStride + rowLength), V(dst, dstOffset,
                (rows - 1) * dstStride + rowLength),
            new RowCopy { Rows = rows, RowLength = rowLength, SrcStride = srcStride, DstStride = dstStride });

    protected override void AxpyInternal(float alpha, Tensor x, Tensor y) =>
        K<float, F, F>(ElementwiseKernels.Axpy)(Stride(x.Length), alpha, V(x), V(y));

    protected override void ScaleInternal(Tensor t, float alpha) =>
        K<F, float>(ElementwiseKernels.Scale)(Stride(t.Length), V(t), alpha);

    protected override void BiasAddForwardInternal(Tensor y, Tensor bias, int n, int c, int inner) =>
        K<F, F, int, int>(ElementwiseKernels.BiasAddForward)(Stride(y.Length), V(y), V(bias), c, inner);

    protected override void BiasAddBackwardInternal(Tensor dy, Tensor dbias, int n, int c, int inner) =>
        K<F, F, int, int, int>(ElementwiseKernels.BiasAddBackward)(PerGroup(c), V(dy), V(dbias), n, c, inner);

    protected override void DropoutForwardInternal(Tensor x, Tensor y, Tensor mask, float p, uint seed,
        DropoutIndexing ix) =>
        K<F, F, F, DropoutDraw>(ElementwiseKernels.DropoutForward)(
            Stride(x.Length), V(x), V(y), V(mask), new DropoutDraw
            {
                P = p, Seed = seed, RowLength = ix.RowLength, RowOffset = ix.RowOffset,
                GlobalRowLength = ix.GlobalRowLength, FirstRow = ix.FirstRow,
            });

    protected override void DropoutBackwardInternal(Tensor dy, Tensor mask, Tensor dx) =>
        K<F, F, F>(ElementwiseKernels.DropoutBackward)(Stride(dy.Length), V(dy), V(mask), V(dx));
}

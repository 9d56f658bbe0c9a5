using System.Numerics.Tensors;

namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    protected override void FillInternal(Tensor t, float value) => S(t).Fill(value);

    protected override void CopyInternal(Tensor src, Tensor dst) => S(src).CopyTo(S(dst));

    protected override void AxpyInternal(float alpha, Tensor x, Tensor y) =>
        Map(x, y, y, (xs, ys, outs) => TensorPrimitives.MultiplyAdd(xs, alpha, ys, outs));

    protected override void ScaleInternal(Tensor t, float alpha) =>
        Map(t, t, (a, b) => TensorPrimitives.Multiply(a, alpha, b));

    protected override void BiasAddForwardInternal(Tensor y, Tensor bias, int n, int c, int inner)
    {
        float* py = P(y), pb = P(bias);
        For(n * c, Math.Max(1, 4096 / Math.Max(inner, 1)), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
            {
                var row = new Span<float>(py + (long)r * inner, inner);
                TensorPrimitives.Add(row, pb[r % c], row);
            }
        });
    }

    protected override void BiasAddBackwardInternal(Tensor dy, Tensor dbias, int n, int c, int inner)
    {
        float* pdy = P(dy), pdb = P(dbias);
        For(c, 16, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                    sum += TensorPrimitives.Sum(new ReadOnlySpan<float>(pdy + ((long)i * c + ch) * inner, inner));
                pdb[ch] = (float)sum;
            }
        });
    }

    protected override void DropoutForwardInternal(Tensor x, Tensor y, Tensor mask, float p, uint seed,
        DropoutIndexing ix)
    {
        float* px = P(x), py = P(y), pm = P(mask);
        float keep = 1f / (1f - p);
        For(x.Length, ElementGrain, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                int row = i / ix.RowLength;
                uint index = (uint)((ix.FirstRow + row) * ix.GlobalRowLength + ix.RowOffset + i - row * ix.RowLength);
                float m = DropoutUniform(seed, index) >= p ? keep : 0f;
                pm[i] = m; py[i] = px[i] * m;
            }
        });
    }

    protected override void CopyRowsInternal(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset,
        int dstStride, int rows, int rowLength)
    {
        float* ps = P(src), pd = P(dst);
        For(rows, Math.Max(1, ElementGrain / rowLength), (r0, r1) =>
        {
            for (int r = r0; r < r1; r++)
                new ReadOnlySpan<float>(ps + srcOffset + (long)r * srcStride, rowLength)
                    .CopyTo(new Span<float>(pd + dstOffset + (long)r * dstStride, rowLength));
        });
    }

    protected override void DropoutBackwardInternal(Tensor dy, Tensor mask, Tensor dx) =>
        Map(dy, mask, dx, static (a, m, o) => TensorPrimitives.Multiply(a, m, o));
}

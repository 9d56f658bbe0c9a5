using System.Runtime.Intrinsics;
using GpuNet.Kernels;
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
        if (inner == 1)   // a dense layer's (n, c): the bias vector onto each row, not a call per element
        {
            For(n, Math.Max(1, 4096 / c), (r0, r1) =>
            {
                for (int r = r0; r < r1; r++)
                {
                    var row = new Span<float>(py + (long)r * c, c);
                    TensorPrimitives.Add(row, new ReadOnlySpan<float>(pb, c), row);
                }
            });
            return;
        }
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
        if (inner == 1)   // a dense layer's (N, C): each column summed without a library call per element
        {
            For(c, 16, (c0, c1) =>
            {
                for (int ch = c0; ch < c1; ch++)
                {
                    double sum = 0;
                    for (int i = 0; i < n; i++) sum += pdy[(long)i * c + ch];
                    pdb[ch] = (float)sum;
                }
            });
            return;
        }
        For(c, 16, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++) sum += RowSum(pdy + ((long)i * c + ch) * inner, inner);
                pdb[ch] = (float)sum;
            }
        });
    }

    // Σ row[0, n) in float, 8 lanes then the tail: a short row (a channel plane of 9 to 3025 floats) without a library
    // call's set-up
    private static float RowSum(float* row, int n)
    {
        var acc = Vector256<float>.Zero;
        int k = 0;
        for (; k + 8 <= n; k += 8) acc += Vector256.Load(row + k);
        float sum = Vector256.Sum(acc);
        for (; k < n; k++) sum += row[k];
        return sum;
    }

    protected override void DropoutForwardInternal(Tensor x, Tensor y, Tensor mask, float p, uint seed,
        DropoutIndexing ix)
    {
        float* px = P(x), py = P(y), pm = P(mask);
        float keep = 1f / (1f - p);
        int width = ix.RowLength;
        // in stretches that stay within a row (the global index of its first element computed once), 8 elements at a
        // time through the same hash as DropoutUniform, lane for lane, so the masks are the scalar (and the
        // kernels') masks to the bit
        For(x.Length, ElementGrain, (s, e) =>
        {
            var lanes = Vector256.Create(0u, 1u, 2u, 3u, 4u, 5u, 6u, 7u);
            var (vp, vkeep) = (Vector256.Create(p), Vector256.Create(keep));
            for (int i = s; i < e;)
            {
                int row = i / width, j = i - row * width, end = Math.Min(width, j + (e - i));
                uint first = (uint)((ix.FirstRow + row) * ix.GlobalRowLength + ix.RowOffset);
                float* xr = px + (long)row * width, yr = py + (long)row * width, mr = pm + (long)row * width;
                i += end - j;
                for (; j + 8 <= end; j += 8)
                {
                    var index = Vector256.Create(first + (uint)j) + lanes;
                    var h = Vector256.Create(seed) ^ (index * Rules.DropoutGolden);
                    h ^= h >> 16; h *= Rules.DropoutMix1; h ^= h >> 13; h *= Rules.DropoutMix2; h ^= h >> 16;
                    var u = Vector256.ConvertToSingle((h >> 8).AsInt32()) * (1f / 16777216f);
                    var m = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, vp), vkeep,
                        Vector256<float>.Zero);
                    m.Store(mr + j);
                    (Vector256.Load(xr + j) * m).Store(yr + j);
                }
                for (; j < end; j++)
                {
                    float m = DropoutUniform(seed, first + (uint)j) >= p ? keep : 0f;
                    mr[j] = m; yr[j] = xr[j] * m;
                }
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

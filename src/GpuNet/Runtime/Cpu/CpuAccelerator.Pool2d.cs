using System.Buffers;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuNet.Runtime.Cpu;

// Pooling, one (n, c) plane per work item.
public sealed unsafe partial class CpuAccelerator
{
    protected override void MaxPool2dForwardInternal(Tensor x, Tensor y, Tensor? argmax, Pool2dGeometry g)
    {
        float* px = P(x), py = P(y), pa = argmax is null ? null : P(argmax);
        int hw = g.H * g.W, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        if (Avx2.IsSupported && g.PadH == 0 && g.PadW == 0 && ohw >= 8)
        {
            MaxPool2dForwardGathered(px, py, pa, g);
            return;
        }
        For(g.N * g.C, 16, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                float* xp = px + (long)p * hw, yp = py + (long)p * ohw, ap = pa + (long)p * ohw;
                for (int i = 0, o = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++, o++)
                    {
                        int at = ArgMax(xp, g, i, j);
                        yp[o] = xp[at];
                        if (pa != null) ap[o] = at;
                    }
            }
        });
    }

    // Eight output pixels of a plane at a time, their windows' elements fetched by AVX2 gathers in the scalar path's
    // order, so the first maximum (or NaN) wins as there: branch-free, where the scalar search mispredicts about half
    // its comparisons on real activations. Unpadded windows only (every AlexNet and LeNet pool); the last vector of
    // a plane repeats its last pixel in the lanes past the end and stores only the real ones.
    private void MaxPool2dForwardGathered(float* px, float* py, float* pa, Pool2dGeometry g)
    {
        int hw = g.H * g.W, ow = g.OutW, ohw = g.OutH * ow, vectors = (ohw + 7) / 8, taps = g.KernelH * g.KernelW;
        int[] corners = ArrayPool<int>.Shared.Rent(vectors * 8);   // each output pixel's window corner in its plane
        for (int o = 0; o < vectors * 8; o++)
        {
            int q = Math.Min(o, ohw - 1);
            corners[o] = q / ow * g.StrideH * g.W + q % ow * g.StrideW;
        }
        int[] window = ArrayPool<int>.Shared.Rent(taps);   // the window's elements from its corner, row by row
        for (int h = 0; h < g.KernelH; h++)
            for (int w = 0; w < g.KernelW; w++) window[h * g.KernelW + w] = h * g.W + w;
        For(g.N * g.C, 16, (p0, p1) =>
        {
            float* last = stackalloc float[16];
            fixed (int* pc = corners, pw = window)
                for (int p = p0; p < p1; p++)
                {
                    float* xp = px + (long)p * hw, yp = py + (long)p * ohw, ap = pa + (long)p * ohw;
                    for (int v = 0; v < vectors; v++)
                    {
                        var corner = Vector256.Load(pc + v * 8);
                        var at = corner;
                        var best = Avx2.GatherVector256(xp, corner, 4);
                        for (int k = 1; k < taps; k++)
                        {
                            var index = corner + Vector256.Create(pw[k]);
                            var value = Avx2.GatherVector256(xp, index, 4);
                            // greater, or a NaN over a number (as in ArgMax)
                            var take = ~Vector256.LessThanOrEqual(value, best) & Vector256.Equals(best, best);
                            best = Vector256.ConditionalSelect(take, value, best);
                            at = Vector256.ConditionalSelect(take.AsInt32(), index, at);
                        }
                        int o = v * 8, n = Math.Min(8, ohw - o);
                        if (n == 8)
                        {
                            best.Store(yp + o);
                            if (pa != null) Vector256.ConvertToSingle(at).Store(ap + o);
                            continue;
                        }
                        best.Store(last);
                        Vector256.ConvertToSingle(at).Store(last + 8);
                        for (int l = 0; l < n; l++)
                        {
                            yp[o + l] = last[l];
                            if (pa != null) ap[o + l] = last[8 + l];
                        }
                    }
                }
        });
        ArrayPool<int>.Shared.Return(corners);
        ArrayPool<int>.Shared.Return(window);
    }

    // Scatters each dy into its cell's maximum: through the forward's indices when given, else searched again.
    protected override void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Tensor? argmax, Pool2dGeometry g)
    {
        float* px = P(x), pdy = P(dy), pdx = P(dx), pa = argmax is null ? null : P(argmax);
        int hw = g.H * g.W, oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        For(g.N * g.C, 16, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                float* xp = px + (long)p * hw, dyp = pdy + (long)p * ohw, dxp = pdx + (long)p * hw;
                new Span<float>(dxp, hw).Clear();
                if (pa != null)
                {
                    float* ap = pa + (long)p * ohw;
                    for (int o = 0; o < ohw; o++) dxp[(int)ap[o]] += dyp[o];
                    continue;
                }
                for (int i = 0, o = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++, o++) dxp[ArgMax(xp, g, i, j)] += dyp[o];
            }
        });
    }

    // Index (h·W + w) of the first maximum in output cell (i, j)'s window; padding never wins; a NaN wins, as in
    // libtorch (a diverging network must not be masked by a pooling layer).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ArgMax(float* plane, in Pool2dGeometry g, int i, int j)
    {
        int width = g.W, h0 = i * g.StrideH - g.PadH, w0 = j * g.StrideW - g.PadW;
        int h1 = Math.Min(h0 + g.KernelH, g.H), w1 = Math.Min(w0 + g.KernelW, width);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0);
        int best = h0 * width + w0;
        float bestValue = plane[best];
        for (int h = h0; h < h1; h++)
        {
            float* row = plane + h * width;
            for (int w = w0; w < w1; w++)
            {
                // greater, or a NaN over a number: !(v <= best) holds for both; a NaN found first stays
                float v = row[w];
                if (!(v <= bestValue) && bestValue == bestValue) { bestValue = v; best = h * width + w; }
            }
        }
        return best;
    }

    // Divisor: the window clipped to the padded input (Caffe's and PyTorch's count_include_pad).
    private static (int H0, int H1, int W0, int W1, float Inv) AvgWindow(Pool2dGeometry g, int i, int j)
    {
        int h0 = i * g.StrideH - g.PadH, w0 = j * g.StrideW - g.PadW;
        int h1 = Math.Min(h0 + g.KernelH, g.H + g.PadH), w1 = Math.Min(w0 + g.KernelW, g.W + g.PadW);
        float inv = 1f / ((h1 - h0) * (w1 - w0));
        return (Math.Max(h0, 0), Math.Min(h1, g.H), Math.Max(w0, 0), Math.Min(w1, g.W), inv);
    }

    protected override void AvgPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g)
    {
        float* px = P(x), py = P(y);
        int hw = g.H * g.W, ohw = g.OutH * g.OutW;
        For(g.N * g.C, 16, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                float* xp = px + (long)p * hw, yp = py + (long)p * ohw;
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                    {
                        var (h0, h1, w0, w1, inv) = AvgWindow(g, i, j);
                        float sum = 0f;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) sum += xp[h * g.W + w];
                        yp[i * g.OutW + j] = sum * inv;
                    }
            }
        });
    }

    protected override void AvgPool2dBackwardInternal(Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        float* pdy = P(dy), pdx = P(dx);
        int hw = g.H * g.W, ohw = g.OutH * g.OutW;
        For(g.N * g.C, 16, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                float* dyp = pdy + (long)p * ohw, dxp = pdx + (long)p * hw;
                new Span<float>(dxp, hw).Clear();
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                    {
                        var (h0, h1, w0, w1, inv) = AvgWindow(g, i, j);
                        float d = dyp[i * g.OutW + j] * inv;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) dxp[h * g.W + w] += d;
                    }
            }
        });
    }

    protected override void GlobalAvgPoolForwardInternal(Tensor x, Tensor y, int planes, int planeSize)
    {
        float* px = P(x), py = P(y);
        For(planes, 64, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
                py[p] = System.Numerics.Tensors.TensorPrimitives.Sum(
                    new ReadOnlySpan<float>(px + (long)p * planeSize, planeSize)) / planeSize;
        });
    }

    protected override void GlobalAvgPoolBackwardInternal(Tensor dy, Tensor dx, int planes, int planeSize)
    {
        float* pdy = P(dy), pdx = P(dx);
        For(planes, 64, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
                new Span<float>(pdx + (long)p * planeSize, planeSize).Fill(pdy[p] / planeSize);
        });
    }
}

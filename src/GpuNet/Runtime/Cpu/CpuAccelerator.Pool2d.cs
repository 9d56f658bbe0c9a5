namespace GpuNet.Runtime.Cpu;

// Pooling, one (n, c) plane per work item.
public sealed unsafe partial class CpuAccelerator
{
    protected override void MaxPool2dForwardInternal(Tensor x, Tensor y, Tensor? argmax, Pool2dGeometry g)
    {
        float* px = P(x), py = P(y), pa = argmax is null ? null : P(argmax);
        int hw = g.H * g.W, ohw = g.OutH * g.OutW;
        For(g.N * g.C, 16, (p0, p1) =>
        {
            for (int p = p0; p < p1; p++)
            {
                float* xp = px + (long)p * hw, yp = py + (long)p * ohw, ap = pa + (long)p * ohw;
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                    {
                        int at = ArgMax(xp, g, i, j);
                        yp[i * g.OutW + j] = xp[at];
                        if (pa != null) ap[i * g.OutW + j] = at;
                    }
            }
        });
    }

    // Scatters each dy into its cell's maximum: through the forward's indices when given, else searched again.
    protected override void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Tensor? argmax, Pool2dGeometry g)
    {
        float* px = P(x), pdy = P(dy), pdx = P(dx), pa = argmax is null ? null : P(argmax);
        int hw = g.H * g.W, ohw = g.OutH * g.OutW;
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
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                        dxp[ArgMax(xp, g, i, j)] += dyp[i * g.OutW + j];
            }
        });
    }

    // Index (h·W + w) of the first maximum in output cell (i, j)'s window; padding never wins; a NaN wins, as in
    // libtorch (a diverging network must not be masked by a pooling layer).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int ArgMax(float* plane, Pool2dGeometry g, int i, int j)
    {
        int h0 = i * g.StrideH - g.PadH, w0 = j * g.StrideW - g.PadW;
        int h1 = Math.Min(h0 + g.KernelH, g.H), w1 = Math.Min(w0 + g.KernelW, g.W);
        h0 = Math.Max(h0, 0); w0 = Math.Max(w0, 0);
        int best = h0 * g.W + w0;
        float bestValue = plane[best];
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++)
            {
                float v = plane[h * g.W + w];
                if (v > bestValue || (float.IsNaN(v) && !float.IsNaN(bestValue))) { bestValue = v; best = h * g.W + w; }
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

using ILGPU;
using ILGPU.Algorithms;

namespace GpuNet.Kernels;

/// <summary>
/// Pooling over Planes = N·C planes of H×W; output OH×OW; windows KH×KW, stride SH×SW, padding PH×PW (floor mode).
/// Backward kernels gather (one thread per input element, visiting the output cells whose window covers it), so
/// overlapping windows need no atomics.
/// </summary>
public static class Pool2dKernels
{
    /// <summary>
    /// y = the maximum of each window (padding never wins; a NaN in the window wins, as in libtorch); with
    /// hasArgmax ≠ 0 each cell's plane-local index h·W + w is kept in argmax (as a float) for backward.
    /// </summary>
    public static void MaxPool2dForward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> argmax, int hasArgmax,
        PoolShape p)
    {
        int n = y.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int plane = e / (p.OH * p.OW), at = WindowArgmax(x, p, e);
            y[e] = x[plane * p.H * p.W + at];
            if (hasArgmax != 0) argmax[e] = at;
        }
    }

    /// <summary>
    /// Max-pool backward without the forward's indices, first pass: each output cell's argmax found again as in
    /// forward (plane-local h·W + w, as a float).
    /// </summary>
    public static void MaxPool2dBackwardArgmax(ArrayView<float> x, ArrayView<float> argmax, PoolShape p)
    {
        int n = argmax.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step) argmax[e] = WindowArgmax(x, p, e);
    }

    /// <summary>
    /// Max-pool backward: every input element gathers dy of the cells whose maximum it is (one index read per covering
    /// cell, no atomics). dx is overwritten.
    /// </summary>
    public static void MaxPool2dBackward(ArrayView<float> argmax, ArrayView<float> dy, ArrayView<float> dx, PoolShape p)
    {
        int n = dx.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int plane = e / (p.H * p.W), h = (e / p.W) % p.H, w = e % p.W;
            var c = p.Covering(h, w);
            float sum = 0f;
            for (int i = c.I0; i <= c.I1; i++)
                for (int j = c.J0; j <= c.J1; j++)
                {
                    int o = (plane * p.OH + i) * p.OW + j;
                    if ((int)argmax[o] == h * p.W + w) sum += dy[o];
                }
            dx[e] = sum;
        }
    }

    /// <summary>
    /// y = the mean of each window, padding counted in the divisor (window clipped to the padded input).
    /// </summary>
    public static void AvgPool2dForward(ArrayView<float> x, ArrayView<float> y, PoolShape p)
    {
        int n = y.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int plane = e / (p.OH * p.OW), i = (e / p.OW) % p.OH, j = e % p.OW;
            int h0 = i * p.SH - p.PH, w0 = j * p.SW - p.PW, at = plane * p.H * p.W;
            float sum = 0f;
            for (int h = XMath.Max(h0, 0); h < XMath.Min(h0 + p.KH, p.H); h++)
                for (int w = XMath.Max(w0, 0); w < XMath.Min(w0 + p.KW, p.W); w++) sum += x[at + h * p.W + w];
            y[e] = sum / p.Divisor(i, j);
        }
    }

    /// <summary>dx = each dy spread evenly over its window. dx is overwritten.</summary>
    public static void AvgPool2dBackward(ArrayView<float> dy, ArrayView<float> dx, PoolShape p)
    {
        int n = dx.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int plane = e / (p.H * p.W), h = (e / p.W) % p.H, w = e % p.W;
            var c = p.Covering(h, w);
            float sum = 0f;
            for (int i = c.I0; i <= c.I1; i++)
                for (int j = c.J0; j <= c.J1; j++) sum += dy[(plane * p.OH + i) * p.OW + j] / p.Divisor(i, j);
            dx[e] = sum;
        }
    }

    /// <summary>y[p] = mean of plane p; one thread per plane. x: (planes, planeSize).</summary>
    public static void GlobalAvgPoolForward(ArrayView<float> x, ArrayView<float> y, int planeSize)
    {
        int planes = y.IntLength;
        for (int p = Threads.Start, step = Threads.Step; p < planes; p += step)
        {
            float sum = 0f;
            for (int k = 0; k < planeSize; k++) sum += x[p * planeSize + k];
            y[p] = sum / planeSize;
        }
    }

    /// <summary>dx[p, :] = dy[p] / planeSize.</summary>
    public static void GlobalAvgPoolBackward(ArrayView<float> dy, ArrayView<float> dx, int planeSize)
    {
        int n = dx.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step) dx[e] = dy[e / planeSize] / planeSize;
    }

    // first maximum of output cell e's window in its plane; padding never wins, NaN does. Returns h·W + w.
    private static int WindowArgmax(ArrayView<float> x, PoolShape p, int e)
    {
        int plane = e / (p.OH * p.OW), i = (e / p.OW) % p.OH, j = e % p.OW, at = plane * p.H * p.W;
        int h0 = i * p.SH - p.PH, w0 = j * p.SW - p.PW;
        int h1 = XMath.Min(h0 + p.KH, p.H), w1 = XMath.Min(w0 + p.KW, p.W);
        h0 = XMath.Max(h0, 0); w0 = XMath.Max(w0, 0);
        int best = h0 * p.W + w0;
        float bestValue = x[at + best];
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++)
            {
                float v = x[at + h * p.W + w];
                if (v > bestValue || (XMath.IsNaN(v) && !XMath.IsNaN(bestValue))) { bestValue = v; best = h * p.W + w; }
            }
        return best;
    }
}

/// <summary>A pooling layer's planes, sizes, window, stride and padding.</summary>
public struct PoolShape
{
    public int Planes, H, W, OH, OW, KH, KW, SH, SW, PH, PW;

    /// <summary>Divisor of cell (i, j): its window clipped to the padded input (count_include_pad).</summary>
    public readonly float Divisor(int i, int j)
    {
        int h0 = i * SH - PH, w0 = j * SW - PW;
        int h1 = XMath.Min(h0 + KH, H + PH), w1 = XMath.Min(w0 + KW, W + PW);
        return (h1 - h0) * (w1 - w0);
    }

    /// <summary>The output rows i0..i1 and columns j0..j1 whose windows cover input (h, w).</summary>
    public readonly CellRange Covering(int h, int w) => new()
    {
        I0 = XMath.Max(0, (h + PH - KH + SH) / SH), I1 = XMath.Min(OH - 1, (h + PH) / SH),
        J0 = XMath.Max(0, (w + PW - KW + SW) / SW), J1 = XMath.Min(OW - 1, (w + PW) / SW),
    };
}

/// <summary>An inclusive range of output cells.</summary>
public struct CellRange
{
    public int I0, I1, J0, J1;
}

using ILGPU;

namespace GpuNet.Kernels;

/// <summary>
/// 2-D convolution, NCHW. x: (N, C, H, W), w: (K, C/G, R, S), y: (N, K, OH, OW), G groups. Two ways, chosen per shape
/// by the accelerator: direct kernels (one thread per output, input or filter element), or im2col/col2im around the
/// GEMM, several images per GEMM.
/// </summary>
public static class Conv2dKernels
{
    /// <summary>
    /// y[n, k, i, j] = bias[k] + Σ_{c, r, s} x[n, g·Cg + c, i·sh − ph + r, j·sw − pw + s] · w[k, c, r, s].
    /// </summary>
    public static void Conv2dForward(ArrayView<float> x, ArrayView<float> w, ArrayView<float> bias, int hasBias,
        ArrayView<float> y, ConvShape g)
    {
        int total = y.IntLength, cg = g.C / g.Groups, kg = g.K / g.Groups;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int j = e % g.OW, i = (e / g.OW) % g.OH, k = (e / (g.OH * g.OW)) % g.K, n = e / (g.K * g.OH * g.OW);
            int grp = k / kg;
            float sum = hasBias != 0 ? bias[k] : 0f;
            for (int c = 0; c < cg; c++)
            {
                int plane = (n * g.C + grp * cg + c) * g.H * g.W, filter = (k * cg + c) * g.R * g.S;
                for (int r = 0; r < g.R; r++)
                {
                    int ih = i * g.StrideH - g.PadH + r;
                    if (ih < 0 || ih >= g.H) continue;
                    for (int s = 0; s < g.S; s++)
                    {
                        int iw = j * g.StrideW - g.PadW + s;
                        if (iw >= 0 && iw < g.W) sum += x[plane + ih * g.W + iw] * w[filter + r * g.S + s];
                    }
                }
            }
            y[e] = sum;
        }
    }

    /// <summary>
    /// dx[n, c, h, w] = Σ over k in c's group and (r, s) with h + ph − r = i·sh, w + pw − s = j·sw of
    /// dy[n, k, i, j] · w[k, c', r, s]; dx is overwritten.
    /// </summary>
    public static void Conv2dBackwardData(ArrayView<float> dy, ArrayView<float> w, ArrayView<float> dx, ConvShape g)
    {
        int total = dx.IntLength, cg = g.C / g.Groups, kg = g.K / g.Groups;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int xw = e % g.W, xh = (e / g.W) % g.H, c = (e / (g.H * g.W)) % g.C, n = e / (g.C * g.H * g.W);
            int grp = c / cg, cl = c % cg;
            float sum = 0f;
            for (int r = 0; r < g.R; r++)
            {
                int ti = xh + g.PadH - r;
                if (ti < 0 || ti % g.StrideH != 0 || ti / g.StrideH >= g.OH) continue;
                for (int s = 0; s < g.S; s++)
                {
                    int tj = xw + g.PadW - s;
                    if (tj < 0 || tj % g.StrideW != 0 || tj / g.StrideW >= g.OW) continue;
                    int i = ti / g.StrideH, j = tj / g.StrideW;
                    for (int kl = 0; kl < kg; kl++)
                    {
                        int k = grp * kg + kl;
                        sum += dy[((n * g.K + k) * g.OH + i) * g.OW + j] * w[((k * cg + cl) * g.R + r) * g.S + s];
                    }
                }
            }
            dx[e] = sum;
        }
    }

    /// <summary>
    /// dw[k, c, r, s] = Σ_{n, i, j} dy[n, k, i, j] · x[n, g·Cg + c, i·sh − ph + r, j·sw − pw + s] (overwritten).
    /// </summary>
    public static void Conv2dBackwardFilter(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dw, ConvShape g)
    {
        int total = dw.IntLength, cg = g.C / g.Groups, kg = g.K / g.Groups;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int s = e % g.S, r = (e / g.S) % g.R, c = (e / (g.R * g.S)) % cg, k = e / (cg * g.R * g.S);
            int grp = k / kg;
            float sum = 0f;
            for (int n = 0; n < g.N; n++)
            {
                int plane = (n * g.C + grp * cg + c) * g.H * g.W, grad = (n * g.K + k) * g.OH * g.OW;
                for (int i = 0; i < g.OH; i++)
                {
                    int ih = i * g.StrideH - g.PadH + r;
                    if (ih < 0 || ih >= g.H) continue;
                    for (int j = 0; j < g.OW; j++)
                    {
                        int iw = j * g.StrideW - g.PadW + s;
                        if (iw >= 0 && iw < g.W) sum += dy[grad + i * g.OW + j] * x[plane + ih * g.W + iw];
                    }
                }
            }
            dw[e] = sum;
        }
    }

    /// <summary>
    /// Images [n0, n0 + count) of group g → col (Cg·R·S, count·OH·OW), images side by side; zeros over the padding.
    /// </summary>
    public static void Conv2dIm2col(ArrayView<float> x, ArrayView<float> col, ConvShape g, ConvChunk chunk)
    {
        int cg = g.C / g.Groups, ohw = g.OH * g.OW, cols = chunk.Count * ohw, total = cg * g.R * g.S * cols;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int q = e % cols, row = e / cols;
            int img = q / ohw, i = (q % ohw) / g.OW, j = q % g.OW;
            int s = row % g.S, r = (row / g.S) % g.R, c = row / (g.R * g.S);
            int ih = i * g.StrideH - g.PadH + r, iw = j * g.StrideW - g.PadW + s;
            col[e] = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W
                ? x[(((chunk.N0 + img) * g.C + chunk.Group * cg + c) * g.H + ih) * g.W + iw] : 0f;
        }
    }

    /// <summary>The adjoint of <see cref="Conv2dIm2col"/>: dx[n0 + img, g·Cg + c, h, w] = Σ of the col entries taken
    /// from it (overwrites).</summary>
    public static void Conv2dCol2im(ArrayView<float> col, ArrayView<float> dx, ConvShape g, ConvChunk chunk)
    {
        int cg = g.C / g.Groups, ohw = g.OH * g.OW, cols = chunk.Count * ohw, total = chunk.Count * cg * g.H * g.W;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int xw = e % g.W, xh = (e / g.W) % g.H, c = (e / (g.H * g.W)) % cg, img = e / (cg * g.H * g.W);
            float sum = 0f;
            for (int r = 0; r < g.R; r++)
            {
                int ti = xh + g.PadH - r;
                if (ti < 0 || ti % g.StrideH != 0 || ti / g.StrideH >= g.OH) continue;
                for (int s = 0; s < g.S; s++)
                {
                    int tj = xw + g.PadW - s;
                    if (tj < 0 || tj % g.StrideW != 0 || tj / g.StrideW >= g.OW) continue;
                    sum += col[((c * g.R + r) * g.S + s) * cols + img * ohw + (ti / g.StrideH) * g.OW + tj / g.StrideW];
                }
            }
            dx[(((chunk.N0 + img) * g.C + chunk.Group * cg + c) * g.H + xh) * g.W + xw] = sum;
        }
    }

    /// <summary>
    /// Moves between the NCHW outputs of images [n0, n0 + count), group g, and a (Kg, count·OH·OW) GEMM matrix:
    /// toMatrix ≠ 0 gathers y into m; 0 scatters m into y, adding bias[k] when hasBias ≠ 0.
    /// </summary>
    public static void Conv2dOutputMatrix(ArrayView<float> y, ArrayView<float> m, ArrayView<float> bias, int hasBias,
        int toMatrix, ConvShape g, ConvChunk chunk)
    {
        int kg = g.K / g.Groups, ohw = g.OH * g.OW, cols = chunk.Count * ohw, total = kg * cols;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int kl = e / cols, q = e % cols, img = q / ohw, p = q % ohw;
            int at = ((chunk.N0 + img) * g.K + chunk.Group * kg + kl) * ohw + p;
            if (toMatrix != 0) m[e] = y[at];
            else y[at] = m[e] + (hasBias != 0 ? bias[chunk.Group * kg + kl] : 0f);
        }
    }
}

/// <summary>A convolution's geometry: N, C, H, W, K filters of R×S, strides, padding, groups, output size.</summary>
public struct ConvShape
{
    public int N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW, Groups, OH, OW;
}

/// <summary>Images [N0, N0 + Count) and group Group of an im2col chunk.</summary>
public struct ConvChunk
{
    public int N0, Count, Group;
}

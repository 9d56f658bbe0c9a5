using System.Buffers;

namespace GpuNet.Runtime.Cpu;

// Convolution as im2col + GEMM per image and group (Caffe's base_conv_layer). Images are spread over the threads,
// each with its own column buffer; with fewer images than threads the GEMM itself is threaded instead.
public sealed unsafe partial class CpuAccelerator
{
    protected override void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        float* px = P(x), pw = P(w), py = P(y), pb = bias is null ? null : P(bias);
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S;
        bool direct = IsPointwise(g);
        CpuAccelerator? gemmThreads = g.N >= Threads ? null : this;
        For(g.N, 1, (n0, n1) =>
        {
            float[] col = direct ? [] : ArrayPool<float>.Shared.Rent(crs * ohw);
            fixed (float* pcol = col)
            {
                for (int n = n0; n < n1; n++)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        float* xg = px + ((long)n * g.C + grp * g.Cg) * g.H * g.W;
                        float* cols = direct ? xg : pcol;
                        if (!direct) Im2Col(xg, g, cols);
                        CpuSgemm.Sgemm(false, false, g.Kg, ohw, crs, 1f, pw + (long)grp * g.Kg * crs, crs, cols, ohw,
                            0f, py + ((long)n * g.K + grp * g.Kg) * ohw, ohw, gemmThreads);
                    }
                if (pb is not null)
                    for (int n = n0; n < n1; n++)
                        for (int k = 0; k < g.K; k++)
                        {
                            var row = new Span<float>(py + ((long)n * g.K + k) * ohw, ohw);
                            System.Numerics.Tensors.TensorPrimitives.Add(row, pb[k], row);
                        }
            }
            if (!direct) ArrayPool<float>.Shared.Return(col);
        });
    }

    protected override void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        float* pdy = P(dy), pw = P(w), pdx = P(dx);
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S, hw = g.H * g.W;
        bool direct = IsPointwise(g);
        CpuAccelerator? gemmThreads = g.N >= Threads ? null : this;
        For(g.N, 1, (n0, n1) =>
        {
            float[] col = direct ? [] : ArrayPool<float>.Shared.Rent(crs * ohw);
            fixed (float* pcol = col)
                for (int n = n0; n < n1; n++)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        float* dxg = pdx + ((long)n * g.C + grp * g.Cg) * hw;
                        float* cols = direct ? dxg : pcol;
                        // col (CgRS, OHW) = w_gᵀ (CgRS, Kg) · dy_g (Kg, OHW)
                        CpuSgemm.Sgemm(true, false, crs, ohw, g.Kg, 1f, pw + (long)grp * g.Kg * crs, crs,
                            pdy + ((long)n * g.K + grp * g.Kg) * ohw, ohw, 0f, cols, ohw, gemmThreads);
                        if (!direct) Col2Im(cols, g, dxg);
                    }
            if (!direct) ArrayPool<float>.Shared.Return(col);
        });
    }

    protected override void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        float* px = P(x), pdy = P(dy), pdw = P(dw);
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S, wlen = g.K * crs;
        bool direct = IsPointwise(g);
        int chunks = Chunks(g.N, 1);
        CpuAccelerator? gemmThreads = g.N >= Threads ? null : this;
        // Each chunk of images accumulates into its own slice of partial; the slices are summed afterwards.
        float[] partial = ArrayPool<float>.Shared.Rent(chunks * wlen);
        fixed (float* ppart = partial)
        {
            float* pp = ppart;
            ForChunks(g.N, 1, (chunk, n0, n1) =>
            {
                float* acc = pp + (long)chunk * wlen;
                new Span<float>(acc, wlen).Clear();
                float[] col = direct ? [] : ArrayPool<float>.Shared.Rent(crs * ohw);
                fixed (float* pcol = col)
                    for (int n = n0; n < n1; n++)
                        for (int grp = 0; grp < g.Groups; grp++)
                        {
                            float* xg = px + ((long)n * g.C + grp * g.Cg) * g.H * g.W;
                            float* cols = direct ? xg : pcol;
                            if (!direct) Im2Col(xg, g, cols);
                            // dw_g (Kg, CgRS) += dy_g (Kg, OHW) · colᵀ (OHW, CgRS)
                            CpuSgemm.Sgemm(false, true, g.Kg, crs, ohw, 1f, pdy + ((long)n * g.K + grp * g.Kg) * ohw, ohw,
                                cols, ohw, 1f, acc + (long)grp * g.Kg * crs, crs, gemmThreads);
                        }
                if (!direct) ArrayPool<float>.Shared.Return(col);
            });
            var dws = new Span<float>(pdw, wlen);
            new ReadOnlySpan<float>(pp, wlen).CopyTo(dws);
            for (int c = 1; c < chunks; c++)
                System.Numerics.Tensors.TensorPrimitives.Add(dws, new ReadOnlySpan<float>(pp + (long)c * wlen, wlen), dws);
        }
        ArrayPool<float>.Shared.Return(partial);
        if (dbias is not null) BiasAddBackwardInternal(dy, dbias, g.N, g.K, ohw);
    }

    private static bool IsPointwise(Conv2dGeometry g) =>
        g.R == 1 && g.S == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadH == 0 && g.PadW == 0;

    // x: (Cg, H, W) of one image and group → col: (Cg·R·S, OH·OW), zeros where the window hangs over the padding.
    internal static void Im2Col(float* x, Conv2dGeometry g, float* col)
    {
        int oh = g.OutH, ow = g.OutW;
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    float* dst = col + ((long)(c * g.R + r) * g.S + s) * oh * ow;
                    float* plane = x + (long)c * g.H * g.W;
                    for (int i = 0; i < oh; i++, dst += ow)
                    {
                        int ih = i * g.StrideH - g.PadH + r;
                        if ((uint)ih >= (uint)g.H) { new Span<float>(dst, ow).Clear(); continue; }
                        float* src = plane + (long)ih * g.W;
                        int iw0 = s - g.PadW;
                        if (g.StrideW == 1 && iw0 >= 0 && iw0 + ow <= g.W) { new ReadOnlySpan<float>(src + iw0, ow).CopyTo(new Span<float>(dst, ow)); continue; }
                        for (int j = 0; j < ow; j++)
                        {
                            int iw = j * g.StrideW + iw0;
                            dst[j] = (uint)iw < (uint)g.W ? src[iw] : 0f;
                        }
                    }
                }
    }

    // The adjoint of Im2Col: dx (Cg, H, W) = Σ of col entries over every window position they came from. dx is overwritten.
    internal static void Col2Im(float* col, Conv2dGeometry g, float* dx)
    {
        int oh = g.OutH, ow = g.OutW;
        new Span<float>(dx, g.Cg * g.H * g.W).Clear();
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    float* src = col + ((long)(c * g.R + r) * g.S + s) * oh * ow;
                    float* plane = dx + (long)c * g.H * g.W;
                    for (int i = 0; i < oh; i++, src += ow)
                    {
                        int ih = i * g.StrideH - g.PadH + r;
                        if ((uint)ih >= (uint)g.H) continue;
                        float* dst = plane + (long)ih * g.W;
                        int iw0 = s - g.PadW;
                        if (g.StrideW == 1 && iw0 >= 0 && iw0 + ow <= g.W)
                        {
                            var d = new Span<float>(dst + iw0, ow);
                            System.Numerics.Tensors.TensorPrimitives.Add(d, new ReadOnlySpan<float>(src, ow), d);
                            continue;
                        }
                        for (int j = 0; j < ow; j++)
                        {
                            int iw = j * g.StrideW + iw0;
                            if ((uint)iw < (uint)g.W) dst[iw] += src[j];
                        }
                    }
                }
    }
}

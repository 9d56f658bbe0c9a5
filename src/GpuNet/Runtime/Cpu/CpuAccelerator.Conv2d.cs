using System.Buffers;

namespace GpuNet.Runtime.Cpu;

// Convolution as im2col + GEMM (Caffe's base_conv_layer), several images per GEMM: the column buffer holds a chunk
// of images side by side, (Cg·R·S, images·OH·OW), so small outputs (LeNet's conv3 is 1×1) still make wide matrices
// for the micro-kernel. Chunks are spread over the threads; with fewer chunks than threads the GEMM is threaded
// instead.
public sealed unsafe partial class CpuAccelerator
{
    private const int ConvColumnsTarget = 1024;          // columns per GEMM worth batching images for
    private const int ConvColumnBufferFloats = 1 << 20;  // 4 MB cap on one column buffer

    /// <summary>How a convolution's batch is cut into chunks of images that share one GEMM.</summary>
    private readonly record struct ConvPlan(int Images, int Chunks, int Crs, int Ohw)
    {
        public int Columns => Images * Ohw;
        public (int N0, int Count) Chunk(int c, int n) => (c * Images, Math.Min(Images, n - c * Images));
    }

    private ConvPlan Plan(Conv2dGeometry g)
    {
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S;
        int images = Math.Clamp((ConvColumnsTarget + ohw - 1) / ohw, 1, g.N);
        images = Math.Max(1, Math.Min(images, ConvColumnBufferFloats / Math.Max(1, crs * ohw)));
        // a multiple of the thread count of equal chunks, where the batch allows, so no thread idles at the end
        int chunks = (g.N + images - 1) / images;
        if (chunks >= Threads) chunks = Math.Min(g.N, (chunks + Threads - 1) / Threads * Threads);
        images = (g.N + chunks - 1) / chunks;
        return new ConvPlan(images, (g.N + images - 1) / images, crs, ohw);
    }

    /// <summary>Runs body(chunk, gemmThreads, worker) for every chunk; workers own disjoint chunk ranges.</summary>
    private void ForConvChunks(ConvPlan plan, Action<int, CpuAccelerator?, int> body)
    {
        if (plan.Chunks >= Threads)
            ForChunks(plan.Chunks, 1, (worker, c0, c1) => { for (int c = c0; c < c1; c++) body(c, null, worker); });
        else
            for (int c = 0; c < plan.Chunks; c++) body(c, this, 0);
    }

    private int ConvWorkers(ConvPlan plan) => plan.Chunks >= Threads ? Chunks(plan.Chunks, 1) : 1;

    protected override void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g)
    {
        float* px = P(x), pw = P(w), py = P(y), pb = bias is null ? null : P(bias);
        var plan = Plan(g);
        ForConvChunks(plan, (chunk, gemmThreads, _) =>
        {
            var (n0, count) = plan.Chunk(chunk, g.N);
            int cols = count * plan.Ohw;
            float[] colBuf = ArrayPool<float>.Shared.Rent(plan.Crs * cols),
                outBuf = ArrayPool<float>.Shared.Rent(g.Kg * cols);
            fixed (float* col = colBuf, outp = outBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    for (int j = 0; j < count; j++)
                        Im2Col(px + ((long)(n0 + j) * g.C + grp * g.Cg) * g.H * g.W, g, col + j * plan.Ohw, cols);
                    // out (Kg, count·OHW) = w_g (Kg, CgRS) · col (CgRS, count·OHW)
                    CpuSgemm.Sgemm(false, false, g.Kg, cols, plan.Crs, 1f, pw + (long)grp * g.Kg * plan.Crs, plan.Crs,
                        col, cols, 0f, outp, cols, gemmThreads, WideGemm);
                    for (int j = 0; j < count; j++)
                        for (int k = 0; k < g.Kg; k++)
                        {
                            var dst =
                                new Span<float>(py + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw, plan.Ohw);
                            var src = new ReadOnlySpan<float>(outp + (long)k * cols + j * plan.Ohw, plan.Ohw);
                            if (pb is null) src.CopyTo(dst);
                            else System.Numerics.Tensors.TensorPrimitives.Add(src, pb[grp * g.Kg + k], dst);
                        }
                }
            ArrayPool<float>.Shared.Return(colBuf); ArrayPool<float>.Shared.Return(outBuf);
        });
    }

    protected override void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        float* pdy = P(dy), pw = P(w), pdx = P(dx);
        var plan = Plan(g);
        ForConvChunks(plan, (chunk, gemmThreads, _) =>
        {
            var (n0, count) = plan.Chunk(chunk, g.N);
            int cols = count * plan.Ohw;
            float[] colBuf = ArrayPool<float>.Shared.Rent(plan.Crs * cols),
                dyBuf = ArrayPool<float>.Shared.Rent(g.Kg * cols);
            fixed (float* col = colBuf, dyc = dyBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    GatherOutput(pdy, g, plan, n0, count, grp, dyc);
                    // col (CgRS, count·OHW) = w_gᵀ (CgRS, Kg) · dy_g (Kg, count·OHW)
                    CpuSgemm.Sgemm(true, false, plan.Crs, cols, g.Kg, 1f, pw + (long)grp * g.Kg * plan.Crs, plan.Crs,
                        dyc, cols, 0f, col, cols, gemmThreads, WideGemm);
                    for (int j = 0; j < count; j++)
                        Col2Im(col + j * plan.Ohw, cols, g, pdx + ((long)(n0 + j) * g.C + grp * g.Cg) * g.H * g.W);
                }
            ArrayPool<float>.Shared.Return(colBuf); ArrayPool<float>.Shared.Return(dyBuf);
        });
    }

    protected override void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias,
        Conv2dGeometry g)
    {
        float* px = P(x), pdy = P(dy), pdw = P(dw);
        var plan = Plan(g);
        int wlen = g.K * plan.Crs, workers = ConvWorkers(plan);
        // each worker accumulates into its own slice of partial; the slices are summed afterwards (fixed order:
        // deterministic)
        float[] partial = ArrayPool<float>.Shared.Rent(workers * wlen);
        fixed (float* ppart = partial)
        {
            float* pp = ppart;
            new Span<float>(pp, workers * wlen).Clear();
            ForConvChunks(plan, (chunk, gemmThreads, worker) =>
            {
                var (n0, count) = plan.Chunk(chunk, g.N);
                int cols = count * plan.Ohw;
                float* acc = pp + (long)worker * wlen;
                float[] colBuf = ArrayPool<float>.Shared.Rent(plan.Crs * cols),
                    dyBuf = ArrayPool<float>.Shared.Rent(g.Kg * cols);
                fixed (float* col = colBuf, dyc = dyBuf)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        for (int j = 0; j < count; j++)
                            Im2Col(px + ((long)(n0 + j) * g.C + grp * g.Cg) * g.H * g.W, g, col + j * plan.Ohw, cols);
                        GatherOutput(pdy, g, plan, n0, count, grp, dyc);
                        // dw_g (Kg, CgRS) += dy_g (Kg, count·OHW) · colᵀ (count·OHW, CgRS)
                        CpuSgemm.Sgemm(false, true, g.Kg, plan.Crs, cols, 1f, dyc, cols, col, cols, 1f,
                            acc + (long)grp * g.Kg * plan.Crs, plan.Crs, gemmThreads, WideGemm);
                    }
                ArrayPool<float>.Shared.Return(colBuf); ArrayPool<float>.Shared.Return(dyBuf);
            });
            var dws = new Span<float>(pdw, wlen);
            new ReadOnlySpan<float>(pp, wlen).CopyTo(dws);
            for (int c = 1; c < workers; c++)
                System.Numerics.Tensors.TensorPrimitives.Add(dws, new ReadOnlySpan<float>(pp + (long)c * wlen, wlen),
                    dws);
        }
        ArrayPool<float>.Shared.Return(partial);
        if (dbias is not null) BiasAddBackwardInternal(dy, dbias, g.N, g.K, plan.Ohw);
    }

    // dy of images [n0, n0 + count), group grp → dst (Kg, count·OHW), images side by side.
    private static void GatherOutput(float* dy, Conv2dGeometry g, ConvPlan plan, int n0, int count, int grp, float* dst)
    {
        int cols = count * plan.Ohw;
        for (int j = 0; j < count; j++)
            for (int k = 0; k < g.Kg; k++)
                new ReadOnlySpan<float>(dy + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw, plan.Ohw)
                    .CopyTo(new Span<float>(dst + (long)k * cols + j * plan.Ohw, plan.Ohw));
    }

    // x: (Cg, H, W) of one image and group → col rows of OH·OW values, row r at col + r·ld; zeros over the padding.
    internal static void Im2Col(float* x, Conv2dGeometry g, float* col, int ld)
    {
        int oh = g.OutH, ow = g.OutW;
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    float* dst = col + ((long)(c * g.R + r) * g.S + s) * ld;
                    float* plane = x + (long)c * g.H * g.W;
                    for (int i = 0; i < oh; i++, dst += ow)
                    {
                        int ih = i * g.StrideH - g.PadH + r;
                        if ((uint)ih >= (uint)g.H) { new Span<float>(dst, ow).Clear(); continue; }
                        float* src = plane + (long)ih * g.W;
                        int iw0 = s - g.PadW;
                        if (g.StrideW == 1 && iw0 >= 0 && iw0
                            + ow <= g.W)
                        {
                            new ReadOnlySpan<float>(src + iw0, ow).CopyTo(new Span<float>(dst, ow));
                            continue;
                        }
                        for (int j = 0; j < ow; j++)
                        {
                            int iw = j * g.StrideW + iw0;
                            dst[j] = (uint)iw < (uint)g.W ? src[iw] : 0f;
                        }
                    }
                }
    }

    // The adjoint of Im2Col: dx (Cg, H, W) = Σ of col entries over every window position they came from. dx is
    // overwritten.
    internal static void Col2Im(float* col, int ld, Conv2dGeometry g, float* dx)
    {
        int oh = g.OutH, ow = g.OutW;
        new Span<float>(dx, g.Cg * g.H * g.W).Clear();
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                {
                    float* src = col + ((long)(c * g.R + r) * g.S + s) * ld;
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

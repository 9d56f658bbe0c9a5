using System.Buffers;
using System.Runtime.Intrinsics;
using static GpuNet.Runtime.Cpu.CpuSgemm;

namespace GpuNet.Runtime.Cpu;

// Convolution as a GEMM over the im2col matrix (Caffe's base_conv_layer). Where that matrix is large (AlexNet's
// layers) it is never materialised: forward and backward-filter pack the GEMM's B panels straight from the input
// (Im2ColPanels, Im2ColTransposedPanels), and backward-data computes the column matrix in tiles that stay in cache,
// each scattered back into dx before the next; small ones are built whole (Im2Col, Col2Im). The filters are packed
// once per group for all the GEMMs of a call. Several images share one GEMM, their columns side by side,
// so small outputs (LeNet's conv3 is 1×1) still make wide matrices for the micro-kernel. Chunks of images are spread
// over the threads; with fewer chunks than threads the GEMM is threaded instead.
public sealed unsafe partial class CpuAccelerator
{
    private const int ConvColumnsTarget = 1024;          // columns per GEMM worth batching images for
    private const int ConvColumnBufferFloats = 1 << 20;  // caps Cg·R·S × columns of one chunk (and its buffers)
    private const long SmallConvGemm = 1L << 25;         // multiply-adds below which a chunk's GEMM runs on one thread
    private const int ConvColumnTileFloats = 1 << 17;    // a backward-data column tile: half a Zen 4 L2

    /// <summary>
    /// Above this many im2col floats per chunk of images the GEMMs read the input in place; below, the matrix is built
    /// whole (it stays in cache, and whole-row copies cost less per float than packing panels from the image: LeNet's
    /// forward ran 2× slower packed in place). Tests set 0 to run every shape through the in-place path.
    /// </summary>
    internal long ConvImplicitFloats { get; init; } = 1 << 19;

    /// <summary>How a convolution's batch is cut into chunks of images that share one GEMM.</summary>
    private readonly record struct ConvPlan(int Images, int Chunks, int Crs, int Ohw, bool Implicit)
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
        // a GEMM this small gains nothing from being split between threads (96×288×576: 0.43 ms on one thread, 0.48 ms
        // on two): the threads take a chunk of images each instead
        if (chunks < Threads && g.N >= Threads && (long)g.Kg * crs * images * ohw < SmallConvGemm) chunks = Threads;
        if (chunks >= Threads) chunks = Math.Min(g.N, (chunks + Threads - 1) / Threads * Threads);
        images = (g.N + chunks - 1) / chunks;
        bool inPlace = (long)crs * images * ohw > ConvImplicitFloats;
        return new ConvPlan(images, (g.N + images - 1) / images, crs, ohw, inPlace);
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
        var filters = PackFilters(g, plan, pw, transpose: false);   // A of every chunk's GEMM: w_g (Kg, CgRS)
        using var release = Release(filters);
        ForConvChunks(plan, (chunk, gemmThreads, _) =>
        {
            var (n0, count) = plan.Chunk(chunk, g.N);
            int cols = count * plan.Ohw;
            // one image's output is written in place, (Kg, OH·OW) rows of y; several go through a buffer
            float[]? outBuf = count == 1 ? null : ArrayPool<float>.Shared.Rent(g.Kg * cols);
            float[]? colBuf = plan.Implicit ? null : ArrayPool<float>.Shared.Rent(plan.Crs * cols);
            fixed (float* buf = outBuf, col = colBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    float* xg = px + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W;
                    float* outp = count == 1 ? py + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                    float* bg = pb is null ? null : pb + grp * g.Kg;
                    if (bg is not null)   // the bias is the GEMM's initial C
                        for (int k = 0; k < g.Kg; k++) new Span<float>(outp + (long)k * cols, cols).Fill(bg[k]);
                    // out (Kg, count·OHW) = w_g (Kg, CgRS) · im2col(x) (CgRS, count·OHW) [+ bias]
                    float beta = bg is null ? 0f : 1f;
                    if (plan.Implicit)
                        Sgemm(g.Kg, cols, plan.Crs, 1f, filters[grp], new Im2ColPanels(xg, g), beta, outp, cols,
                            gemmThreads, WideGemm);
                    else
                    {
                        Im2Col(xg, g, count, col, cols);
                        Sgemm(g.Kg, cols, plan.Crs, 1f, filters[grp], new MatrixPanels(false, col, cols), beta, outp,
                            cols, gemmThreads, WideGemm);
                    }
                    if (count > 1) ScatterOutput(outp, g, plan, n0, count, grp, py);
                }
            if (outBuf is not null) ArrayPool<float>.Shared.Return(outBuf);
            if (colBuf is not null) ArrayPool<float>.Shared.Return(colBuf);
        });
    }

    protected override void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        float* pdy = P(dy), pw = P(w), pdx = P(dx);
        var plan = Plan(g);
        var filters = PackFilters(g, plan, pw, transpose: true);   // A of every tile's GEMM: w_gᵀ (CgRS, Kg)
        using var release = Release(filters);
        int tile = plan.Implicit ? Math.Clamp((ConvColumnTileFloats / plan.Crs + 31) / 32 * 32, 32, 1024)
            : plan.Columns;
        ForConvChunks(plan, (chunk, gemmThreads, _) =>
        {
            var (n0, count) = plan.Chunk(chunk, g.N);
            int cols = count * plan.Ohw, tw = Math.Min(tile, cols);
            long imageFloats = (long)g.C * g.H * g.W;
            new Span<float>(pdx + n0 * imageFloats, (int)(count * imageFloats)).Clear();
            float[]? dyBuf = count == 1 ? null : ArrayPool<float>.Shared.Rent(g.Kg * cols);
            float[] colBuf = ArrayPool<float>.Shared.Rent(plan.Crs * tw);
            fixed (float* buf = dyBuf, col = colBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    float* dyg = count == 1 ? pdy + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                    if (count > 1) GatherOutput(pdy, g, plan, n0, count, grp, buf);
                    float* dxg = pdx + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W;
                    for (int j0 = 0; j0 < cols; j0 += tw)
                    {
                        int n = Math.Min(tw, cols - j0);
                        // col (CgRS, n) = w_gᵀ (CgRS, Kg) · dy_g (Kg, columns [j0, j0 + n)); then dx += col2im(col)
                        Sgemm(plan.Crs, n, g.Kg, 1f, filters[grp], new MatrixPanels(false, dyg + j0, cols), 0f, col, n,
                            gemmThreads, WideGemm);
                        if (plan.Implicit) Col2ImColumns(col, n, g, j0, n, dxg);
                        else Col2Im(col, n, g, count, dxg);
                    }
                }
            if (dyBuf is not null) ArrayPool<float>.Shared.Return(dyBuf);
            ArrayPool<float>.Shared.Return(colBuf);
        });
    }

    protected override void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias,
        Conv2dGeometry g)
    {
        float* px = P(x), pdy = P(dy), pdw = P(dw);
        var plan = Plan(g);
        int wlen = g.K * plan.Crs, workers = ConvWorkers(plan);
        // each worker accumulates into its own slice of partial; the slices are summed afterwards (fixed order)
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
                float[]? dyBuf = count == 1 ? null : ArrayPool<float>.Shared.Rent(g.Kg * cols);
                float[]? colBuf = plan.Implicit ? null : ArrayPool<float>.Shared.Rent(plan.Crs * cols);
                fixed (float* buf = dyBuf, col = colBuf)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        float* dyg = count == 1 ? pdy + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                        if (count > 1) GatherOutput(pdy, g, plan, n0, count, grp, buf);
                        float* xg = px + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W;
                        float* dwg = acc + (long)grp * g.Kg * plan.Crs;
                        // dw_g (Kg, CgRS) += dy_g (Kg, count·OHW) · im2col(x)ᵀ (count·OHW, CgRS)
                        var dyA = new OperandA(false, dyg, cols);
                        if (plan.Implicit)
                            Sgemm(g.Kg, plan.Crs, cols, 1f, dyA, new Im2ColTransposedPanels(xg, g), 1f, dwg, plan.Crs,
                                gemmThreads, WideGemm);
                        else
                        {
                            Im2Col(xg, g, count, col, cols);
                            Sgemm(g.Kg, plan.Crs, cols, 1f, dyA, new MatrixPanels(true, col, cols), 1f, dwg, plan.Crs,
                                gemmThreads, WideGemm);
                        }
                    }
                if (dyBuf is not null) ArrayPool<float>.Shared.Return(dyBuf);
                if (colBuf is not null) ArrayPool<float>.Shared.Return(colBuf);
            });
            var dws = new Span<float>(pdw, wlen);
            new ReadOnlySpan<float>(pp, wlen).CopyTo(dws);
            for (int c = 1; c < workers; c++)
            {
                var slice = new ReadOnlySpan<float>(pp + (long)c * wlen, wlen);
                System.Numerics.Tensors.TensorPrimitives.Add(dws, slice, dws);
            }
        }
        ArrayPool<float>.Shared.Return(partial);
        if (dbias is not null) BiasAddBackwardInternal(dy, dbias, g.N, g.K, plan.Ohw);
    }

    // Each group's filters w_g (Kg, CgRS), or transposed, packed once for all the GEMMs of one call.
    private PackedA[] PackFilters(Conv2dGeometry g, ConvPlan plan, float* w, bool transpose)
    {
        var packed = new PackedA[g.Groups];
        for (int grp = 0; grp < g.Groups; grp++)
        {
            float* wg = w + (long)grp * g.Kg * plan.Crs;
            packed[grp] = transpose ? new PackedA(true, plan.Crs, g.Kg, wg, plan.Crs, WideGemm)
                : new PackedA(false, g.Kg, plan.Crs, wg, plan.Crs, WideGemm);
        }
        return packed;
    }

    private sealed class Releaser(PackedA[] packed) : IDisposable
    {
        public void Dispose() { foreach (var p in packed) p.Dispose(); }
    }

    private static Releaser Release(PackedA[] packed) => new(packed);

    // dy of images [n0, n0 + count), group grp → dst (Kg, count·OHW), images side by side.
    private static void GatherOutput(float* dy, Conv2dGeometry g, ConvPlan plan, int n0, int count, int grp, float* dst)
    {
        int cols = count * plan.Ohw;
        for (int j = 0; j < count; j++)
            for (int k = 0; k < g.Kg; k++)
                new ReadOnlySpan<float>(dy + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw, plan.Ohw)
                    .CopyTo(new Span<float>(dst + (long)k * cols + j * plan.Ohw, plan.Ohw));
    }

    // The inverse of GatherOutput: src (Kg, count·OHW) → y of images [n0, n0 + count), group grp.
    private static void ScatterOutput(float* src, Conv2dGeometry g, ConvPlan plan, int n0, int count, int grp, float* y)
    {
        int cols = count * plan.Ohw;
        for (int j = 0; j < count; j++)
            for (int k = 0; k < g.Kg; k++)
                new ReadOnlySpan<float>(src + (long)k * cols + j * plan.Ohw, plan.Ohw)
                    .CopyTo(new Span<float>(y + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw, plan.Ohw));
    }

    // x: (count, C, H, W) from the group's first channel → col (Cg·R·S, count·OH·OW), row stride ld, images side by
    // side; zeros over the padding. Whole output rows at a time: the path for matrices that fit in cache.
    private static void Im2Col(float* x, Conv2dGeometry g, int count, float* col, int ld)
    {
        int oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        for (int n = 0; n < count; n++)
            for (int c = 0; c < g.Cg; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        float* dst = col + ((long)(c * g.R + r) * g.S + s) * ld + n * ohw;
                        float* plane = x + ((long)n * g.C + c) * g.H * g.W;
                        for (int i = 0; i < oh; i++, dst += ow)
                        {
                            int ih = i * g.StrideH - g.PadH + r, iw0 = s - g.PadW;
                            if ((uint)ih >= (uint)g.H) { new Span<float>(dst, ow).Clear(); continue; }
                            float* src = plane + (long)ih * g.W;
                            if (g.StrideW == 1 && iw0 >= 0 && iw0 + ow <= g.W)
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

    // The adjoint of Im2Col: dx (count, C, H, W) from the group's first channel += every entry of col.
    private static void Col2Im(float* col, int ld, Conv2dGeometry g, int count, float* dx)
    {
        int oh = g.OutH, ow = g.OutW, ohw = oh * ow;
        for (int n = 0; n < count; n++)
            for (int c = 0; c < g.Cg; c++)
                for (int r = 0; r < g.R; r++)
                    for (int s = 0; s < g.S; s++)
                    {
                        float* src = col + ((long)(c * g.R + r) * g.S + s) * ld + n * ohw;
                        float* plane = dx + ((long)n * g.C + c) * g.H * g.W;
                        for (int i = 0; i < oh; i++, src += ow)
                        {
                            int ih = i * g.StrideH - g.PadH + r, iw0 = s - g.PadW;
                            if ((uint)ih >= (uint)g.H) continue;
                            float* dst = plane + (long)ih * g.W;
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

    // The adjoint of the im2col matrix's columns [j0, j0 + count), held in col (Cg·R·S, count) with row stride ld:
    // dx (images, C, H, W) from the group's first channel += every entry at the input position it was read from.
    private static void Col2ImColumns(float* col, int ld, Conv2dGeometry g, int j0, int count, float* dx)
    {
        var runs = ArrayPool<PixelRun>.Shared.Rent(count);
        int n = PixelRun.Split(g, j0, count, runs), rows = g.Cg * g.R * g.S;
        var (c, r, s) = (0, 0, 0);
        for (int row = 0; row < rows; row++, Next(g, ref c, ref r, ref s))
            for (int i = 0; i < n; i++) runs[i].Scatter(col + (long)row * ld + runs[i].J, g, c, r, s, dx);
        ArrayPool<PixelRun>.Shared.Return(runs);
    }

    // Row `row` of the im2col matrix as (channel, window row, window column), and the step to the next row.
    private static (int C, int R, int S) WindowOffset(in Conv2dGeometry g, int row) =>
        (row / (g.R * g.S), row / g.S % g.R, row % g.S);

    private static void Next(in Conv2dGeometry g, ref int c, ref int r, ref int s)
    {
        if (++s < g.S) return;
        s = 0;
        if (++r < g.R) return;
        r = 0;
        c++;
    }

    /// <summary>
    /// B = the im2col matrix (Cg·R·S, images·OH·OW), read from x: (images, C, H, W) at the group's first channel.
    /// Row (c, r, s), column (image, oh, ow) = x[image, c, oh·stride − pad + r, ow·stride − pad + s], 0 in the padding.
    /// </summary>
    private readonly struct Im2ColPanels(float* x, Conv2dGeometry g) : IPanelSource
    {
        public void Pack(int pc, int kc, int j0, int nr, float* dst, int NR)
        {
            Span<PixelRun> runs = stackalloc PixelRun[nr];
            int n = PixelRun.Split(g, j0, nr, runs);
            var (c, r, s) = WindowOffset(g, pc);
            for (int p = 0; p < kc; p++, Next(g, ref c, ref r, ref s))
            {
                float* d = dst + (long)p * NR;
                for (int i = 0; i < n; i++) runs[i].Gather(x, g, c, r, s, d + runs[i].J);
                for (int j = nr; j < NR; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>B = the transposed im2col matrix (images·OH·OW, Cg·R·S): each panel's columns are gathered as im2col
    /// rows over the block's pixels, then transposed into place.</summary>
    private readonly struct Im2ColTransposedPanels(float* x, Conv2dGeometry g) : IPanelSource
    {
        public void Pack(int pc, int kc, int j0, int nr, float* dst, int NR)
        {
            Span<PixelRun> runs = stackalloc PixelRun[kc];
            float* rows = stackalloc float[nr * kc];   // (nr, kc): im2col rows j0.. over pixels [pc, pc + kc)
            int n = PixelRun.Split(g, pc, kc, runs);
            var (c, r, s) = WindowOffset(g, j0);
            for (int j = 0; j < nr; j++, Next(g, ref c, ref r, ref s))
                for (int i = 0; i < n; i++) runs[i].Gather(x, g, c, r, s, rows + (long)j * kc + runs[i].J);
            PackRows(rows, kc, kc, nr, dst, NR);
        }
    }

    /// <summary>
    /// Consecutive output pixels of one output row of one image: im2col columns [J, J + Len) counted from the first
    /// column asked for. Image is the image's offset in x; (Ih, Iw) the input position under the first pixel for the
    /// window offset (r, s) = (0, 0).
    /// </summary>
    private struct PixelRun
    {
        public int J, Len, Ih, Iw;
        public long Image;

        public static int Split(in Conv2dGeometry g, int j0, int count, Span<PixelRun> runs)
        {
            int ohw = g.OutH * g.OutW, n = 0;
            for (int j = j0, end = j0 + count; j < end; n++)
            {
                int img = j / ohw, q = j - img * ohw, oi = q / g.OutW, oj = q - oi * g.OutW;
                int len = Math.Min(g.OutW - oj, end - j);
                runs[n] = new PixelRun
                {
                    J = j - j0, Len = len, Ih = oi * g.StrideH - g.PadH, Iw = oj * g.StrideW - g.PadW,
                    Image = (long)img * g.C * g.H * g.W,
                };
                j += len;
            }
            return n;
        }

        // dst[0, Len) = x under these pixels at channel c, window offset (r, s); zero in the padding.
        public readonly void Gather(float* x, in Conv2dGeometry g, int c, int r, int s, float* dst)
        {
            int ih = Ih + r, iw = Iw + s;
            if ((uint)ih >= (uint)g.H) { new Span<float>(dst, Len).Clear(); return; }
            float* src = x + Image + ((long)c * g.H + ih) * g.W;
            if (g.StrideW == 1 && iw >= 0 && iw + Len <= g.W) { Copy(src + iw, dst, Len); return; }
            for (int t = 0; t < Len; t++, iw += g.StrideW) dst[t] = (uint)iw < (uint)g.W ? src[iw] : 0f;
        }

        // The adjoint of Gather: dx under these pixels at channel c, window offset (r, s) += src[0, Len).
        public readonly void Scatter(float* src, in Conv2dGeometry g, int c, int r, int s, float* dx)
        {
            int ih = Ih + r, iw = Iw + s;
            if ((uint)ih >= (uint)g.H) return;
            float* d = dx + Image + ((long)c * g.H + ih) * g.W;
            int sw = g.StrideW, last = iw + (Len - 1) * sw;
            if (iw >= 0 && last < g.W)
            {
                if (sw == 1) Accumulate(src, d + iw, Len);
                else for (int t = 0; t < Len; t++) d[iw + t * sw] += src[t];
                return;
            }
            for (int t = 0; t < Len; t++, iw += sw) if ((uint)iw < (uint)g.W) d[iw] += src[t];
        }

        // short runs (an output row is tens of floats): a vector loop without a library call's set-up
        private static void Copy(float* src, float* dst, int n)
        {
            int t = 0;
            for (; t + 8 <= n; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
            for (; t < n; t++) dst[t] = src[t];
        }

        private static void Accumulate(float* src, float* dst, int n)
        {
            int t = 0;
            for (; t + 8 <= n; t += 8) Vector256.Store(Vector256.Load(dst + t) + Vector256.Load(src + t), dst + t);
            for (; t < n; t++) dst[t] += src[t];
        }
    }
}

using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static GpuNet.Runtime.Cpu.CpuSgemm;

namespace GpuNet.Runtime.Cpu;

// Convolution as a GEMM over the im2col matrix (Caffe's base_conv_layer). Each chunk's input is first rewritten with
// its padding filled in and its rows split by the stride (PhasedInput), so every stretch of an im2col row is a plain
// copy, whatever the stride or padding. Where the matrix is large (AlexNet's layers) it is never materialised:
// forward and backward-filter pack the GEMM's B panels straight from the phased input (Im2ColPanels,
// Im2ColTransposedPanels), and backward-data computes the column matrix in tiles that stay in cache, each added back
// before the next; small ones are built whole (Im2Col, then Col2Im with all columns). The filters are packed
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

    protected override void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g,
        bool relu)
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
            float[] inBuf = ArrayPool<float>.Shared.Rent(PhasedInput.Floats(g, count));
            fixed (float* buf = outBuf, col = colBuf, pin = inBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    var xp = new PhasedInput(g, count, pin);
                    xp.Load(px + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W);
                    float* outp = count == 1 ? py + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                    float* bg = pb is null ? null : pb + grp * g.Kg;
                    if (bg is not null)   // the bias is the GEMM's initial C
                        for (int k = 0; k < g.Kg; k++) new Span<float>(outp + (long)k * cols, cols).Fill(bg[k]);
                    // out (Kg, count·OHW) = w_g (Kg, CgRS) · im2col(x) (CgRS, count·OHW) [+ bias]
                    float beta = bg is null ? 0f : 1f;
                    if (plan.Implicit)
                        Sgemm(g.Kg, cols, plan.Crs, 1f, filters[grp], new Im2ColPanels(xp, g), beta, outp, cols,
                            gemmThreads, WideGemm);
                    else
                    {
                        Im2Col(xp, g, count, col, cols);
                        Sgemm(g.Kg, cols, plan.Crs, 1f, filters[grp], new MatrixPanels(false, col, cols), beta, outp,
                            cols, gemmThreads, WideGemm);
                    }
                    if (count > 1) ScatterOutput(outp, g, plan, n0, count, grp, py);
                }
            if (relu)   // the ReLU epilogue, over the chunk's output while it is still in cache
            {
                var chunkOut = new Span<float>(py + (long)n0 * g.K * plan.Ohw, count * g.K * plan.Ohw);
                System.Numerics.Tensors.TensorPrimitives.Max(chunkOut, 0f, chunkOut);
            }
            if (outBuf is not null) ArrayPool<float>.Shared.Return(outBuf);
            if (colBuf is not null) ArrayPool<float>.Shared.Return(colBuf);
            ArrayPool<float>.Shared.Return(inBuf);
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
            float[] inBuf = ArrayPool<float>.Shared.Rent(PhasedInput.Floats(g, count));
            fixed (float* buf = dyBuf, col = colBuf, pin = inBuf)
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    float* dyg = count == 1 ? pdy + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                    if (count > 1) GatherOutput(pdy, g, plan, n0, count, grp, buf);
                    var dxp = new PhasedInput(g, count, pin);
                    dxp.Clear();
                    for (int j0 = 0; j0 < cols; j0 += tw)
                    {
                        int n = Math.Min(tw, cols - j0);
                        // col (CgRS, n) = w_gᵀ (CgRS, Kg) · dy_g (Kg, columns [j0, j0 + n)); then dx += col2im(col)
                        Sgemm(plan.Crs, n, g.Kg, 1f, filters[grp], new MatrixPanels(false, dyg + j0, cols), 0f, col, n,
                            gemmThreads, WideGemm);
                        Col2Im(col, n, g, j0, n, dxp);
                    }
                    dxp.AddTo(pdx + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W);
                }
            if (dyBuf is not null) ArrayPool<float>.Shared.Return(dyBuf);
            ArrayPool<float>.Shared.Return(colBuf);
            ArrayPool<float>.Shared.Return(inBuf);
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
                float[] inBuf = ArrayPool<float>.Shared.Rent(PhasedInput.Floats(g, count));
                fixed (float* buf = dyBuf, col = colBuf, pin = inBuf)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        float* dyg = count == 1 ? pdy + ((long)n0 * g.K + grp * g.Kg) * plan.Ohw : buf;
                        if (count > 1) GatherOutput(pdy, g, plan, n0, count, grp, buf);
                        var xp = new PhasedInput(g, count, pin);
                        xp.Load(px + ((long)n0 * g.C + grp * g.Cg) * g.H * g.W);
                        float* dwg = acc + (long)grp * g.Kg * plan.Crs;
                        // dw_g (Kg, CgRS) += dy_g (Kg, count·OHW) · im2col(x)ᵀ (count·OHW, CgRS)
                        var dyA = new OperandA(false, dyg, cols);
                        if (plan.Implicit)
                            Sgemm(g.Kg, plan.Crs, cols, 1f, dyA, new Im2ColTransposedPanels(xp, g), 1f, dwg,
                                plan.Crs, gemmThreads, WideGemm);
                        else
                        {
                            Im2Col(xp, g, count, col, cols);
                            Sgemm(g.Kg, plan.Crs, cols, 1f, dyA, new MatrixPanels(true, col, cols), 1f, dwg, plan.Crs,
                                gemmThreads, WideGemm);
                        }
                    }
                if (dyBuf is not null) ArrayPool<float>.Shared.Return(dyBuf);
                if (colBuf is not null) ArrayPool<float>.Shared.Return(colBuf);
                ArrayPool<float>.Shared.Return(inBuf);
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
                Copy(dy + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw, dst + (long)k * cols + j * plan.Ohw,
                    plan.Ohw, exact: true);
    }

    // The inverse of GatherOutput: src (Kg, count·OHW) → y of images [n0, n0 + count), group grp.
    private static void ScatterOutput(float* src, Conv2dGeometry g, ConvPlan plan, int n0, int count, int grp, float* y)
    {
        int cols = count * plan.Ohw;
        for (int j = 0; j < count; j++)
            for (int k = 0; k < g.Kg; k++)
                Copy(src + (long)k * cols + j * plan.Ohw, y + ((long)(n0 + j) * g.K + grp * g.Kg + k) * plan.Ohw,
                    plan.Ohw, exact: true);
    }

    // The whole im2col matrix (Cg·R·S, count·OH·OW) of the chunk → col, row stride ld, images side by side: the path
    // for matrices that fit in cache. Every row segment is a copy out of the phased input.
    private static void Im2Col(in PhasedInput xp, in Conv2dGeometry g, int count, float* col, int ld)
    {
        int oh = g.OutH, ow = g.OutW, ohw = oh * ow, row = 0;
        long size = (long)(g.Cg * g.R * g.S - 1) * ld + count * ohw;   // the matrix's floats in col
        long rowStep = xp.Offset(0, 1, 0);
        for (int c = 0; c < g.Cg; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++, row++)
                {
                    float* dst = col + (long)row * ld, window = xp.Window(c, r, s);
                    for (int n = 0, j = 0; n < count; n++)
                    {
                        float* src = window + xp.Offset(n, 0, 0);
                        for (int i = 0; i < oh; i++, j += ow, src += rowStep)
                            // whole vectors may run past the segment into later ones (of this row or the next),
                            // written after it; only copies that would leave the matrix are exact
                            Copy(src, dst + j, ow, exact: (long)row * ld + j + ow + 7 > size);
                    }
                }
    }

    // The adjoint of the im2col matrix's columns [j0, j0 + count), held in col (Cg·R·S, count) with row stride ld:
    // every entry is added to the phased input's place it was read from (then PhasedInput.AddTo adds that to dx).
    private static void Col2Im(float* col, int ld, in Conv2dGeometry g, int j0, int count, in PhasedInput dxp)
    {
        var runs = ArrayPool<PixelRun>.Shared.Rent(count);
        int n = PixelRun.Split(g, dxp, j0, count, runs), rows = g.Cg * g.R * g.S;
        var (c, r, s) = (0, 0, 0);
        for (int row = 0; row < rows; row++, Next(g, ref c, ref r, ref s))
        {
            float* src = col + (long)row * ld, window = dxp.Window(c, r, s);
            for (int i = 0; i < n; i++) Accumulate(src + runs[i].J, window + runs[i].Offset, runs[i].Len);
        }
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
    /// One chunk's input for one group with its padding written out and every row split by the horizontal stride:
    /// phase p of padded row h holds the row's elements p, p + stride, p + 2·stride … . The im2col matrix's row
    /// (c, r, s) over output row i of image n is then OW floats at <see cref="Window"/>(c, r, s) + Offset(n, i, 0):
    /// contiguous for any stride, with no bounds left to check (stride 1: the padded image itself). Built once per
    /// chunk and group; backward-data accumulates into one and adds it to dx (<see cref="AddTo"/>).
    /// </summary>
    private readonly struct PhasedInput
    {
        private readonly float* data;
        private readonly int count, rows, stride, strideH, length, padH, padW, c, h, w, cg;   // rows: padded rows read
        private readonly long rowFloats, channelFloats, imageFloats;

        public PhasedInput(in Conv2dGeometry g, int count, float* data)
        {
            this.data = data;
            this.count = count;
            (stride, strideH, padH, padW, c, h, w, cg) = (g.StrideW, g.StrideH, g.PadH, g.PadW, g.C, g.H, g.W, g.Cg);
            rows = (g.OutH - 1) * g.StrideH + g.R;
            length = g.OutW + (g.S - 1) / g.StrideW;
            rowFloats = (long)stride * length;
            channelFloats = rows * rowFloats;
            imageFloats = cg * channelFloats;
        }

        /// <summary>Floats for count images, with the slack whole-vector copies read past a row's end.</summary>
        public static int Floats(in Conv2dGeometry g, int count) => checked(count * g.Cg
            * ((g.OutH - 1) * g.StrideH + g.R) * g.StrideW * (g.OutW + (g.S - 1) / g.StrideW) + 16);

        /// <summary>
        /// Where window offset (ch, r, s) reads for output pixel (0, 0) of the first image; <see cref="Offset"/> away
        /// for another pixel, the next ones of its output row following it.
        /// </summary>
        public float* Window(int ch, int r, int s) =>
            data + ch * channelFloats + r * rowFloats + (long)(s % stride) * length + s / stride;

        /// <summary>How far output pixel (oi, oj) of image n reads from pixel (0, 0) of the first image.</summary>
        public long Offset(int n, int oi, int oj) => n * imageFloats + oi * strideH * rowFloats + oj;

        public void Clear() => new Span<float>(data, checked((int)(count * imageFloats) + 16)).Clear();

        /// <summary>This = x, read from the group's first channel of the chunk's first image (N, C, H, W).</summary>
        public void Load(float* x)
        {
            new Span<float>(data + count * imageFloats, 16).Clear();   // the slack: copies read it, results never
            for (int n = 0; n < count; n++)
                for (int ch = 0; ch < cg; ch++)
                {
                    float* plane = x + ((long)n * c + ch) * h * w, d = data + n * imageFloats + ch * channelFloats;
                    for (int hp = 0; hp < rows; hp++, d += rowFloats)
                    {
                        int ih = hp - padH;
                        if ((uint)ih >= (uint)h) { new Span<float>(d, (int)rowFloats).Clear(); continue; }
                        float* src = plane + (long)ih * w;
                        if (stride == 1)
                        {
                            // zeros, the row where windows reach it, zeros
                            int lo = Math.Min(padW, length), hi = Math.Min(length, w + padW);
                            for (int t = 0; t < lo; t++) d[t] = 0f;
                            if (hi > lo) Copy(src, d + lo, hi - lo, exact: true);
                            for (int t = Math.Max(lo, hi); t < length; t++) d[t] = 0f;
                            continue;
                        }
                        for (int p = 0; p < stride; p++)
                            for (int t = 0, iw = p - padW; t < length; t++, iw += stride)
                                d[p * length + t] = (uint)iw < (uint)w ? src[iw] : 0f;
                    }
                }
        }

        /// <summary>The adjoint of Load: dx (N, C, H, W) from the group's first channel += this.</summary>
        public void AddTo(float* dx)
        {
            for (int n = 0; n < count; n++)
                for (int ch = 0; ch < cg; ch++)
                {
                    float* plane = dx + ((long)n * c + ch) * h * w, d = data + n * imageFloats + ch * channelFloats;
                    for (int hp = 0; hp < rows; hp++, d += rowFloats)
                    {
                        int ih = hp - padH;
                        if ((uint)ih >= (uint)h) continue;
                        float* dst = plane + (long)ih * w;
                        if (stride == 1)
                        {
                            int lo = Math.Min(padW, length), hi = Math.Min(length, w + padW);
                            if (hi > lo) Accumulate(d + lo, dst, hi - lo);
                            continue;
                        }
                        for (int p = 0; p < stride; p++)
                            for (int t = 0, iw = p - padW; t < length; t++, iw += stride)
                                if ((uint)iw < (uint)w) dst[iw] += d[p * length + t];
                    }
                }
        }
    }

    /// <summary>
    /// B = the im2col matrix (Cg·R·S, images·OH·OW) of a chunk, read from its phased input.
    /// </summary>
    private readonly struct Im2ColPanels(PhasedInput xp, Conv2dGeometry g) : IPanelSource
    {
        public void Pack(int pc, int kc, int j0, int nr, float* dst, int NR)
        {
            Span<PixelRun> runs = stackalloc PixelRun[nr];
            int n = PixelRun.Split(g, xp, j0, nr, runs);
            var (c, r, s) = WindowOffset(g, pc);
            for (int p = 0; p < kc; p++, Next(g, ref c, ref r, ref s))
            {
                float* d = dst + (long)p * NR, window = xp.Window(c, r, s);
                // a run's whole-vector copy may write past it into later runs' places, the padding columns or the
                // panel's next row, all written after it; copies that would leave the panel are exact
                for (int i = 0; i < n; i++)
                    runs[i].Gather(window, d, exact: (long)p * NR + runs[i].End + 7 > (long)kc * NR);
                for (int j = nr; j < NR; j++) d[j] = 0f;
            }
        }
    }

    /// <summary>B = the transposed im2col matrix (images·OH·OW, Cg·R·S) of a chunk: each panel's columns are gathered
    /// as im2col rows over the block's pixels, then transposed into place.</summary>
    private readonly struct Im2ColTransposedPanels(PhasedInput xp, Conv2dGeometry g) : IPanelSource
    {
        public void Pack(int pc, int kc, int j0, int nr, float* dst, int NR)
        {
            Span<PixelRun> runs = stackalloc PixelRun[kc];
            float* rows = stackalloc float[nr * kc];   // (nr, kc): im2col rows j0.. over pixels [pc, pc + kc)
            int n = PixelRun.Split(g, xp, pc, kc, runs);
            var (c, r, s) = WindowOffset(g, j0);
            for (int j = 0; j < nr; j++, Next(g, ref c, ref r, ref s))
            {
                float* window = xp.Window(c, r, s);
                for (int i = 0; i < n; i++)   // as in Im2ColPanels: only copies that would leave the buffer are exact
                    runs[i].Gather(window, rows + j * kc, exact: j * kc + runs[i].End + 7 > nr * kc);
            }
            PackRows(rows, kc, kc, nr, dst, NR);
        }
    }

    /// <summary>
    /// Consecutive output pixels of one output row of one image: im2col columns [J, J + Len) counted from the first
    /// column asked for, read at Offset from a window of the chunk's phased input (<see cref="PhasedInput.Window"/>).
    /// </summary>
    private struct PixelRun
    {
        public int J, Len;
        public long Offset;
        public readonly int End => J + Len;

        public static int Split(in Conv2dGeometry g, in PhasedInput xp, int j0, int count, Span<PixelRun> runs)
        {
            int ohw = g.OutH * g.OutW, n = 0;
            for (int j = j0, end = j0 + count; j < end; n++)
            {
                int img = j / ohw, q = j - img * ohw, oi = q / g.OutW, oj = q - oi * g.OutW;
                int len = Math.Min(g.OutW - oj, end - j);
                runs[n] = new PixelRun { J = j - j0, Len = len, Offset = xp.Offset(img, oi, oj) };
                j += len;
            }
            return n;
        }

        // row[J, J + Len) = the window's input under these pixels; unless exact, whole vectors that may write up to
        // 7 floats past.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public readonly void Gather(float* window, float* row, bool exact) =>
            Copy(window + Offset, row + J, Len, exact);
    }

    // dst[0, n) = src[0, n); unless exact, whole vectors, which may read and write up to 7 floats past n. Runs are
    // short (an output row: 3 to 55 floats): a vector loop without a library call's set-up.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Copy(float* src, float* dst, int n, bool exact)
    {
        int t = 0;
        if (!exact)
        {
            for (; t < n; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
            return;
        }
        for (; t + 8 <= n; t += 8) Vector256.Store(Vector256.Load(src + t), dst + t);
        for (; t < n; t++) dst[t] = src[t];
    }

    // dst[0, n) += src[0, n).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(float* src, float* dst, int n)
    {
        int t = 0;
        for (; t + 8 <= n; t += 8) Vector256.Store(Vector256.Load(dst + t) + Vector256.Load(src + t), dst + t);
        for (; t < n; t++) dst[t] += src[t];
    }
}

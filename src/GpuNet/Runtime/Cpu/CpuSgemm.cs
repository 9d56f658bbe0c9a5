using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuNet.Runtime.Cpu;

/// <summary>
/// Single-precision GEMM for the CPU accelerator, organised as in BLIS/GotoBLAS: B is packed into KC×NR panels,
/// A into MR×KC panels, and a register-blocked FMA micro-kernel does the work, chosen once for the machine: 12×32
/// (24 accumulators of 16 floats in 32 AVX-512 registers) where Vector512 is accelerated, else 6×16 (12 accumulators
/// of 8 floats in 16 AVX2 registers). Row-major: C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C.
/// </summary>
internal static unsafe class CpuSgemm
{
    /// <summary>
    /// Whether this machine runs the 512-bit micro-kernel (the default of <see cref="CpuAccelerator.WideGemm"/>).
    /// </summary>
    public static readonly bool WideAvailable = Vector512.IsHardwareAccelerated;
    private const int KC = 256, MC = 120, NC = 3072;   // MC and NC are multiples of both kernels' MR and NR
    // Below this many multiply-adds the threads cost more than they save.
    private const long ParallelThreshold = 1L << 18;

    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc, CpuAccelerator? parallel, bool wide)
    {
        if (transB && m <= SwapRows && n >= 4 * m && (long)k * n >= SwapBFloats && k > 0 && alpha != 0f)
        {
            Scale(m, n, beta, c, ldc);
            SgemmSwapped(transA, m, n, k, alpha, a, lda, b, ldb, c, ldc, parallel, wide);
            return;
        }
        Sgemm(m, n, k, alpha, new OperandA(transA, a, lda), new MatrixPanels(transB, b, ldb), beta, c, ldc, parallel,
            wide);
    }

    /// <summary>
    /// C (m, n) = alpha · A · B + beta · C with B's panels packed by <paramref name="b"/> (a stored matrix, or a
    /// convolution's input read as its im2col matrix) and A stored or packed beforehand (<see cref="PackedA"/>).
    /// </summary>
    public static void Sgemm<TB>(int m, int n, int k, float alpha, OperandA a, TB b, float beta, float* c, int ldc,
        CpuAccelerator? parallel, bool wide) where TB : struct, IPanelSource
    {
        wide = a.Packed is not null ? a.Packed.Wide : UseWide(m, wide);
        int MR = wide ? 12 : 6, NR = wide ? 32 : 16;
        Scale(m, n, beta, c, ldc);
        if (k == 0 || alpha == 0f || m == 0 || n == 0) return;
        if (parallel is not null && (parallel.Threads == 1 || (long)m * n * k < ParallelThreshold)) parallel = null;

        int ncMax = Math.Min(NC, RoundUp(n, NR));
        float[] packB = ArrayPool<float>.Shared.Rent(KC * ncMax);
        try
        {
            fixed (float* bp = packB)
            {
                float* pb = bp;
                for (int jc = 0; jc < n; jc += NC)
                {
                    int nc = Math.Min(NC, n - jc);
                    int panels = (nc + NR - 1) / NR;
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        if (parallel is null) PackB(b, pc, kc, jc, 0, panels, nc, pb, NR);
                        else parallel.For(panels, 8, (p0, p1) => PackB(b, pc, kc, jc, p0, p1, nc, pb, NR));

                        int mBlocks = (m + MC - 1) / MC;
                        int nChunks = parallel is null ? 1
                            : Math.Min(panels, Math.Max(1, (parallel.Threads + mBlocks - 1) / mBlocks));
                        int tasks = mBlocks * nChunks;
                        void RunTask(int t)
                        {
                            int ib = t / nChunks, chunk = t % nChunks;
                            int ic = ib * MC, mc = Math.Min(MC, m - ic);
                            int p0 = (int)((long)panels * chunk / nChunks);
                            int p1 = (int)((long)panels * (chunk + 1) / nChunks);
                            float[]? packA = a.Packed is null ? ArrayPool<float>.Shared.Rent(MC * KC) : null;
                            fixed (float* scratch = packA)
                            {
                                float* ap = a.Panels(ic, mc, pc, kc, scratch, MR);
                                Macro(kc, mc, nc, p0, p1, ap, pb, c + (long)ic * ldc + jc, ldc, alpha, wide);
                            }
                            if (packA is not null) ArrayPool<float>.Shared.Return(packA);
                        }
                        if (parallel is null || tasks == 1) for (int t = 0; t < tasks; t++) RunTask(t);
                        else Parallel.For(0, tasks, parallel.ParallelOptions, RunTask);
                    }
                }
            }
        }
        finally { ArrayPool<float>.Shared.Return(packB); }
    }

    // a matrix of at most 6 rows fits the 6×16 kernel exactly; the 12×32 one would compute half zeros
    private static bool UseWide(int m, bool wide) => wide && m > 6;

    private static void Scale(int m, int n, float beta, float* c, int ldc)
    {
        if (beta == 1f) return;
        for (int i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (long)i * ldc, n);
            if (beta == 0f) row.Clear(); else System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    // A few rows times a large B stored (n, k) (a dense layer's forward on a small batch): packing B would stream
    // all of it through memory twice for a handful of rows. Cᵀ (n, m) = B · op(A)ᵀ instead packs B as the A
    // operand, in blocks that stay in cache, and the few rows of A as the B panels; Cᵀ goes through a buffer and is
    // added to C transposed.
    private const int SwapRows = 32;
    private const long SwapBFloats = 1L << 20;

    private static void SgemmSwapped(bool transA, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float* c, int ldc, CpuAccelerator? parallel, bool wide)
    {
        float[] buffer = ArrayPool<float>.Shared.Rent(n * m);
        fixed (float* t = buffer)
        {
            // t (n, m) = B (n, k) · op(A)ᵀ (k, m)
            Sgemm(false, !transA, n, m, k, alpha, b, ldb, a, lda, 0f, t, m, parallel, wide);
            for (int i = 0; i < m; i++)
            {
                float* row = c + (long)i * ldc;
                for (int j = 0; j < n; j++) row[j] += t[(long)j * m + i];
            }
        }
        ArrayPool<float>.Shared.Return(buffer);
    }

    private static int RoundUp(int x, int m) => (x + m - 1) / m * m;

    /// <summary>Where B's packed panels come from: a stored matrix, or a convolution's input read in place.</summary>
    internal interface IPanelSource
    {
        /// <summary>B's rows [pc, pc + kc), columns [j0, j0 + nr) → dst (kc, NR) row-major, 0 past column nr.</summary>
        void Pack(int pc, int kc, int j0, int nr, float* dst, int NR);
    }

    /// <summary>op(A): a stored matrix packed block by block as the GEMM goes, or packed beforehand.</summary>
    internal readonly struct OperandA(bool trans, float* a, int ld, PackedA? packed = null)
    {
        public PackedA? Packed => packed;
        public static implicit operator OperandA(PackedA p) => new(false, null, 0, p);

        // The MR-row panels of rows [ic, ic + mc), columns [pc, pc + kc): packed into scratch, or PackedA's.
        public float* Panels(int ic, int mc, int pc, int kc, float* scratch, int MR)
        {
            if (packed is not null) return packed.Pointer + (long)pc * packed.RowsPadded + (long)ic * kc;
            PackA(trans, a, ld, ic, mc, pc, kc, scratch, MR);
            return scratch;
        }
    }

    /// <summary>
    /// op(A) (m, k) packed once for every k-block, for GEMMs that share it (the column tiles of one convolution).
    /// Block pc starts at pc · RowsPadded and holds the MR-row panels of all rows, each kc×MR.
    /// </summary>
    internal sealed class PackedA : IDisposable
    {
        // native memory: a pinned managed array of this size (100s of KB per call) would land on the large-object
        // heap once per convolution and bring on full collections of a heap holding the whole model
        public PackedA(bool transA, int m, int k, float* a, int lda, bool wide)
        {
            Wide = UseWide(m, wide);
            int MR = Wide ? 12 : 6;
            RowsPadded = RoundUp(m, MR);
            Pointer = (float*)NativeMemory.AlignedAlloc((nuint)Math.Max(1L, (long)RowsPadded * k) * sizeof(float), 64);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                for (int ic = 0; ic < m; ic += MC)
                    PackA(transA, a, lda, ic, Math.Min(MC, m - ic), pc, kc,
                        Pointer + (long)pc * RowsPadded + (long)ic * kc, MR);
            }
        }

        public bool Wide { get; }
        public int RowsPadded { get; }
        public float* Pointer { get; private set; }

        public void Dispose()
        {
            if (Pointer is not null) NativeMemory.AlignedFree(Pointer);
            Pointer = null;
        }
    }

    /// <summary>B a stored matrix, (k, n) or transposed (n, k).</summary>
    internal readonly struct MatrixPanels(bool trans, float* b, int ld) : IPanelSource
    {
        public void Pack(int pc, int kc, int j0, int nr, float* d, int NR)
        {
            if (!trans)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = b + (long)(pc + p) * ld + j0;
                    if (nr == NR) for (int v = 0; v < NR; v += 8)
                        Vector256.Store(Vector256.Load(s + v), d + p * NR + v);
                    else
                    {
                        int j = 0; for (; j < nr; j++) d[p * NR + j] = s[j]; for (; j < NR; j++) d[p * NR + j] = 0f;
                    }
                }
                return;
            }
            // B stored (n, k): the panel's NR rows of B, kc floats each, transposed 4 rows × 8 floats at a time
            PackRows(b + (long)j0 * ld + pc, ld, kc, nr, d, NR);
        }
    }

    /// <summary>nr rows of kc floats (row j at src + j·ld) → dst[p·NR + j], zero for nr ≤ j &lt; NR.</summary>
    internal static void PackRows(float* src, long ld, int kc, int nr, float* d, int NR)
    {
        int j = 0;
        for (; j + 4 <= nr; j += 4) PackTransposed4(src + j * ld, ld, kc, d + j, NR);
        for (; j < nr; j++) { float* s = src + j * ld; for (int p = 0; p < kc; p++) d[p * NR + j] = s[p]; }
        for (; j < NR; j++) for (int p = 0; p < kc; p++) d[p * NR + j] = 0f;
    }

    // Panels [p0, p1) of B's columns [jc, jc + nc), rows [pc, pc + kc) → dst, each panel kc×NR, zero-padded.
    private static void PackB<TB>(TB b, int pc, int kc, int jc, int p0, int p1, int nc, float* dst, int NR)
        where TB : struct, IPanelSource
    {
        for (int panel = p0; panel < p1; panel++)
            b.Pack(pc, kc, jc + panel * NR, Math.Min(NR, nc - panel * NR), dst + (long)panel * kc * NR, NR);
    }

    // A's rows [ic, ic + mc), columns [pc, pc + kc) → dst as MR-row panels, each kc×MR, zero-padded.
    private static void PackA(bool transA, float* a, int lda, int ic, int mc, int pc, int kc, float* dst, int MR)
    {
        for (int ir = 0; ir < mc; ir += MR, dst += kc * MR)
        {
            int mr = Math.Min(MR, mc - ir);
            if (!transA)
            {
                int r = 0;
                for (; r + 4 <= mr; r += 4) PackTransposed4(a + (long)(ic + ir + r) * lda + pc, lda, kc, dst + r, MR);
                for (; r < mr; r++)
                {
                    float* s = a + (long)(ic + ir + r) * lda + pc;
                    for (int p = 0; p < kc; p++) dst[p * MR + r] = s[p];
                }
                for (; r < MR; r++) for (int p = 0; p < kc; p++) dst[p * MR + r] = 0f;
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* s = a + (long)(pc + p) * lda + ic + ir;
                    int r = 0;
                    for (; r < mr; r++) dst[p * MR + r] = s[r];
                    for (; r < MR; r++) dst[p * MR + r] = 0f;
                }
            }
        }
    }

    // Four rows of kc floats (row i at src + i·ld) → dst[p·stride + i] for p < kc: the packing of an operand stored
    // across the panel, 4×8 blocks transposed in registers (two unpacks and a shuffle per pair of columns).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackTransposed4(float* src, long ld, int kc, float* dst, int stride)
    {
        int p = 0;
        if (Avx.IsSupported)
            for (; p + 8 <= kc; p += 8)
            {
                var r0 = Avx.LoadVector256(src + p); var r1 = Avx.LoadVector256(src + ld + p);
                var r2 = Avx.LoadVector256(src + 2L * ld + p); var r3 = Avx.LoadVector256(src + 3L * ld + p);
                // t0 = (r0₀ r1₀ r0₁ r1₁ | r0₄ r1₄ r0₅ r1₅), t1 the same with columns 2, 3 | 6, 7; t2, t3 for r2, r3
                var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
                var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
                var c04 = Avx.Shuffle(t0, t2, 0x44); var c15 = Avx.Shuffle(t0, t2, 0xEE);   // (column 0 | column 4) …
                var c26 = Avx.Shuffle(t1, t3, 0x44); var c37 = Avx.Shuffle(t1, t3, 0xEE);
                float* d = dst + (long)p * stride;
                Vector128.Store(c04.GetLower(), d); Vector128.Store(c15.GetLower(), d + stride);
                Vector128.Store(c26.GetLower(), d + 2L * stride); Vector128.Store(c37.GetLower(), d + 3L * stride);
                Vector128.Store(c04.GetUpper(), d + 4L * stride); Vector128.Store(c15.GetUpper(), d + 5L * stride);
                Vector128.Store(c26.GetUpper(), d + 6L * stride); Vector128.Store(c37.GetUpper(), d + 7L * stride);
            }
        for (; p < kc; p++)
        {
            float* d = dst + (long)p * stride;
            d[0] = src[p]; d[1] = src[ld + p]; d[2] = src[2L * ld + p]; d[3] = src[3L * ld + p];
        }
    }

    private static void Macro(int kc, int mc, int nc, int p0, int p1, float* ap, float* bp, float* c, int ldc,
        float alpha,
        bool wide)
    {
        int mrMax = wide ? 12 : 6, nrMax = wide ? 32 : 16;
        for (int panel = p0; panel < p1; panel++)
        {
            int jr = panel * nrMax, nr = Math.Min(nrMax, nc - jr);
            float* b = bp + (long)panel * kc * nrMax;
            for (int ir = 0; ir < mc; ir += mrMax)
            {
                float* a = ap + (long)ir * kc, ct = c + (long)ir * ldc + jr;
                int mr = Math.Min(mrMax, mc - ir);
                if (wide) Kernel12x32(kc, a, b, ct, ldc, alpha, mr, nr);
                else Kernel6x16(kc, a, b, ct, ldc, alpha, mr, nr);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel12x32(int kc, float* a, float* b, float* c, int ldc, float alpha, int mr, int nr)
    {
        const int mR = 12, nR = 32;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
        Vector512<float> c90 = default, c91 = default, ca0 = default, ca1 = default, cb0 = default, cb1 = default;
        for (int p = 0; p < kc; p++, a += mR, b += nR)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + 16);
            var x = Vector512.Create(a[0]); c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]); c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]); c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]); c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]); c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]); c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6]); c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7]); c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            x = Vector512.Create(a[8]); c80 = Vector512.FusedMultiplyAdd(x, b0, c80);
            c81 = Vector512.FusedMultiplyAdd(x, b1, c81);
            x = Vector512.Create(a[9]); c90 = Vector512.FusedMultiplyAdd(x, b0, c90);
            c91 = Vector512.FusedMultiplyAdd(x, b1, c91);
            x = Vector512.Create(a[10]); ca0 = Vector512.FusedMultiplyAdd(x, b0, ca0);
            ca1 = Vector512.FusedMultiplyAdd(x, b1, ca1);
            x = Vector512.Create(a[11]); cb0 = Vector512.FusedMultiplyAdd(x, b0, cb0);
            cb1 = Vector512.FusedMultiplyAdd(x, b1, cb1);
        }
        var va = Vector512.Create(alpha);
        if (mr == mR && nr == nR)
        {
            Add(c, c00, c01, va); Add(c + ldc, c10, c11, va); Add(c + 2L * ldc, c20, c21, va);
            Add(c + 3L * ldc, c30, c31, va); Add(c + 4L * ldc, c40, c41, va); Add(c + 5L * ldc, c50, c51, va);
            Add(c + 6L * ldc, c60, c61, va); Add(c + 7L * ldc, c70, c71, va); Add(c + 8L * ldc, c80, c81, va);
            Add(c + 9L * ldc, c90, c91, va); Add(c + 10L * ldc, ca0, ca1, va); Add(c + 11L * ldc, cb0, cb1, va);
            return;
        }
        // an edge tile: the block goes through a buffer and only its mr × nr corner into C (whole rows by vector)
        float* t = stackalloc float[mR * nR];
        Vector512.Store(c00, t); Vector512.Store(c01, t + 16); Vector512.Store(c10, t + 32);
        Vector512.Store(c11, t + 48);
        Vector512.Store(c20, t + 64); Vector512.Store(c21, t + 80); Vector512.Store(c30, t + 96);
        Vector512.Store(c31, t + 112);
        Vector512.Store(c40, t + 128); Vector512.Store(c41, t + 144); Vector512.Store(c50, t + 160);
        Vector512.Store(c51, t + 176); Vector512.Store(c60, t + 192); Vector512.Store(c61, t + 208);
        Vector512.Store(c70, t + 224); Vector512.Store(c71, t + 240); Vector512.Store(c80, t + 256);
        Vector512.Store(c81, t + 272); Vector512.Store(c90, t + 288); Vector512.Store(c91, t + 304);
        Vector512.Store(ca0, t + 320); Vector512.Store(ca1, t + 336); Vector512.Store(cb0, t + 352);
        Vector512.Store(cb1, t + 368);
        if (nr == nR)
        {
            for (int r = 0; r < mr; r++)
                Add(c + (long)r * ldc, Vector512.Load(t + r * nR), Vector512.Load(t + r * nR + 16), va);
            return;
        }
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++)
                c[(long)r * ldc + j] += alpha * t[r * nR + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> alpha)
    {
        Vector512.Store(Vector512.FusedMultiplyAdd(x0, alpha, Vector512.Load(c)), c);
        Vector512.Store(Vector512.FusedMultiplyAdd(x1, alpha, Vector512.Load(c + 16)), c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(int kc, float* a, float* b, float* c, int ldc, float alpha, int mr, int nr)
    {
        const int MR = 6, NR = 16;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++, a += MR, b += NR)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a[0]); c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[1]); c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2]); c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3]); c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4]); c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5]); c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        var va = Vector256.Create(alpha);
        if (mr == MR && nr == NR)
        {
            Add(c, c00, c01, va); Add(c + ldc, c10, c11, va); Add(c + 2L * ldc, c20, c21, va);
            Add(c + 3L * ldc, c30, c31, va); Add(c + 4L * ldc, c40, c41, va); Add(c + 5L * ldc, c50, c51, va);
            return;
        }
        float* t = stackalloc float[MR * NR];
        Vector256.Store(c00, t); Vector256.Store(c01, t + 8); Vector256.Store(c10, t + 16);
        Vector256.Store(c11, t + 24);
        Vector256.Store(c20, t + 32); Vector256.Store(c21, t + 40); Vector256.Store(c30, t + 48);
        Vector256.Store(c31, t + 56);
        Vector256.Store(c40, t + 64); Vector256.Store(c41, t + 72); Vector256.Store(c50, t + 80);
        Vector256.Store(c51, t + 88);
        if (nr == NR)
        {
            for (int r = 0; r < mr; r++)
                Add(c + (long)r * ldc, Vector256.Load(t + r * NR), Vector256.Load(t + r * NR + 8), va);
            return;
        }
        for (int r = 0; r < mr; r++)
            for (int j = 0; j < nr; j++)
                c[(long)r * ldc + j] += alpha * t[r * NR + j];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(float* c, Vector256<float> x0, Vector256<float> x1, Vector256<float> alpha)
    {
        Vector256.Store(Vector256.FusedMultiplyAdd(x0, alpha, Vector256.Load(c)), c);
        Vector256.Store(Vector256.FusedMultiplyAdd(x1, alpha, Vector256.Load(c + 8)), c + 8);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GpuNet.Data;

/// <summary>
/// The one resampling pass of a <see cref="Transform"/>: a <see cref="Frame"/>'s window, straight from the decoded
/// bytes into planar floats through a per-channel scale and offset (the normalisation). Separable, with a triangle
/// filter widened by the shrink factor (antialiased bilinear); a frame that is not resized is copied (mirrored,
/// padded). Parts of the window outside the image are black (the offset alone). Gray sources fill every plane of an
/// RGB output; RGB sources are turned to gray (ITU-R 601) for a one-channel output.
/// </summary>
internal static class Resampler
{
    [ThreadStatic] private static float[]? _rows;
    [ThreadStatic] private static byte[]? _gray;
    [ThreadStatic] private static ColumnPlan? _plan;

    /// <summary>
    /// Resamples the frame's window (<paramref name="height"/> × <paramref name="width"/>, the window's size) into
    /// <paramref name="channels"/> planes of <paramref name="dst"/>: out = v · scale[c] + offset[c] for a resampled
    /// source value v in 0…255.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loops: fully optimised from the first image
    public static unsafe void Render(in Frame f, Span<float> dst, int channels, int height, int width,
        ReadOnlySpan<float> scale, ReadOnlySpan<float> offset)
    {
        var src = f.Source;
        int sc = src.Channels;
        byte[] pixels = src.Pixels;
        if (channels == 1 && sc == 3)
        {
            // RGB → gray once, then render as gray
            int n = src.Width * src.Height;
            var g = _gray is { Length: var len } && len >= n ? _gray : _gray = new byte[n];
            for (int i = 0; i < n; i++)
                g[i] = (byte)((299 * pixels[3 * i] + 587 * pixels[3 * i + 1] + 114 * pixels[3 * i + 2] + 500) / 1000);
            pixels = g; sc = 1;
        }
        int plane = height * width, rowLen = src.Width * sc;

        fixed (byte* src0 = pixels)
        fixed (float* d0 = dst)
        {
            if (f.ScaledWidth == src.Width && f.ScaledHeight == src.Height)
            {
                // no resize: a (possibly mirrored, possibly padded) copy through the normalisation
                // output columns xa … xb − 1 lie inside the image; `first` is the leftmost source column they read
                int xa = Math.Clamp(f.Flip ? f.X + width - src.Width : -f.X, 0, width);
                int xb = Math.Clamp(f.Flip ? f.X + width : src.Width - f.X, 0, width);
                int first = f.Flip ? f.X + width - xb : f.X + xa;
                var row = _rows is { Length: var lr } && lr >= rowLen
                    ? _rows : _rows = new float[Math.Max(rowLen, 4096)];
                fixed (float* r = row)
                    for (int y = 0; y < height; y++)
                    {
                        int sy = f.Y + y;
                        bool inside = (uint)sy < (uint)src.Height && xa < xb;
                        for (int c = 0; c < channels; c++)
                        {
                            var o = new Span<float>(d0 + c * plane + y * width, width);
                            if (!inside) { o.Fill(offset[c]); continue; }
                            o[..xa].Fill(offset[c]); o[xb..].Fill(offset[c]);
                        }
                        if (!inside) continue;
                        ToFloat(src0 + (long)sy * rowLen + first * sc, r, (xb - xa) * sc);
                        float* o0 = d0 + y * width + xa;
                        if (sc == 3) CopyRgb(r, xb - xa, f.Flip, o0, o0 + plane, o0 + 2 * plane, scale, offset);
                        else
                            for (int c = 0; c < channels; c++)
                                CopyGray(r, xb - xa, f.Flip, o0 + c * plane, scale[c], offset[c]);
                    }
                return;
            }

            // separable resampling of just the window. Vertical first: each output row is a weighted sum of a few
            // source rows (floats, vectorised along the row); then horizontal, eight output columns at a time from
            // the few source columns they span (ColumnPlan).
            var xs = TapTable.For(f.ScaledWidth, src.Width);
            var ys = TapTable.For(f.ScaledHeight, src.Height);
            var plan = (_plan ??= new ColumnPlan()).Build(xs, f.X, width, f.Flip);
            int c0 = plan.First * sc, c1 = plan.End * sc;   // the source row elements the window reads
            int v0 = Math.Clamp(f.Y, 0, f.ScaledHeight - 1), v1 = Math.Clamp(f.Y + height - 1, 0, f.ScaledHeight - 1);
            int y0 = ys.Start[v0], y1 = ys.Start[v1] + ys.Count[v1] - 1, rows = y1 - y0 + 1;
            int need = rowLen * (rows + 1);
            var tmp = _rows is { Length: var l } && l >= need ? _rows : _rows = new float[Math.Max(need, 4096)];
            fixed (float* t0 = tmp)
            fixed (float* pw = plan.Weights)
            {
                // the source rows the window needs, converted to floats once
                ToFloat(src0 + (long)y0 * rowLen, t0, rows * rowLen);
                float* s = t0 + rows * rowLen;
                for (int y = 0; y < height; y++)
                {
                    int v = f.Y + y;
                    if ((uint)v >= (uint)f.ScaledHeight)
                    {
                        for (int c = 0; c < channels; c++)
                            new Span<float>(d0 + c * plane + y * width, width).Fill(offset[c]);
                        continue;
                    }
                    var weights = ys.Weights.AsSpan(v * ys.MaxTaps, ys.Count[v]);
                    WeightedRows(t0 + (ys.Start[v] - y0) * rowLen + c0, rowLen, weights, s + c0, c1 - c0);
                    if (sc == 3 && channels == 3) plan.ApplyRgb(s, pw, d0 + y * width, plane, scale, offset);
                    else
                        for (int c = 0; c < channels; c++)
                            plan.Apply(s, sc, pw, d0 + c * plane + y * width, scale[c], offset[c]);
                }
            }
        }
    }

    // Permutations putting blended R, G, B lanes in pixel order, forwards and mirrored (see CopyRgb).
    private static readonly Vector256<int>[] Order =
    [
        Vector256.Create(0, 3, 6, 1, 4, 7, 2, 5), Vector256.Create(1, 4, 7, 2, 5, 0, 3, 6),
        Vector256.Create(2, 5, 0, 3, 6, 1, 4, 7),
        Vector256.Create(5, 2, 7, 4, 1, 6, 3, 0), Vector256.Create(6, 3, 0, 5, 2, 7, 4, 1),
        Vector256.Create(7, 4, 1, 6, 3, 0, 5, 2),
    ];

    // o_c[j] = r[3·p + c]·k_c + b_c with p = j, or n−1−j mirrored: eight RGB pixels (three vectors) are split into
    // planes by two blends and one permutation per channel; the mirror is folded into the permutation.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CopyRgb(float* r, int n, bool flip, float* o0, float* o1, float* o2,
        ReadOnlySpan<float> k, ReadOnlySpan<float> b)
    {
        int j = 0;
        if (Avx2.IsSupported)
        {
            var (pr, pg, pb) = flip ? (Order[3], Order[4], Order[5]) : (Order[0], Order[1], Order[2]);
            Vector256<float> k0 = Vector256.Create(k[0]), k1 = Vector256.Create(k[1]), k2 = Vector256.Create(k[2]);
            Vector256<float> b0 = Vector256.Create(b[0]), b1 = Vector256.Create(b[1]), b2 = Vector256.Create(b[2]);
            for (; j + 8 <= n; j += 8)
            {
                float* p = r + 3 * (flip ? n - 8 - j : j);
                var (a, m, z) = (Avx.LoadVector256(p), Avx.LoadVector256(p + 8), Avx.LoadVector256(p + 16));
                (Avx2.PermuteVar8x32(Avx.Blend(Avx.Blend(a, m, 0x92), z, 0x24), pr) * k0 + b0).Store(o0 + j);
                (Avx2.PermuteVar8x32(Avx.Blend(Avx.Blend(a, m, 0x24), z, 0x49), pg) * k1 + b1).Store(o1 + j);
                (Avx2.PermuteVar8x32(Avx.Blend(Avx.Blend(a, m, 0x49), z, 0x92), pb) * k2 + b2).Store(o2 + j);
            }
        }
        for (; j < n; j++)
        {
            float* p = r + 3 * (flip ? n - 1 - j : j);
            o0[j] = p[0] * k[0] + b[0]; o1[j] = p[1] * k[1] + b[1]; o2[j] = p[2] * k[2] + b[2];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CopyGray(float* r, int n, bool flip, float* o, float k, float b)
    {
        int j = 0;
        if (Avx2.IsSupported)
        {
            var rev = Vector256.Create(7, 6, 5, 4, 3, 2, 1, 0);
            var (vk, vb) = (Vector256.Create(k), Vector256.Create(b));
            for (; j + 8 <= n; j += 8)
            {
                var v = Avx.LoadVector256(r + (flip ? n - 8 - j : j));
                ((flip ? Avx2.PermuteVar8x32(v, rev) : v) * vk + vb).Store(o + j);
            }
        }
        for (; j < n; j++) o[j] = r[flip ? n - 1 - j : j] * k + b;
    }

    // dst[i] = Σ_t w[t] · rows[t·stride + i] for i < n: one pass along the row, sixteen lanes at a time
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightedRows(float* rows, int stride, ReadOnlySpan<float> weights, float* dst, int n)
    {
        int i = 0, taps = weights.Length;
        fixed (float* w = weights)
        {
            if (Vector256.IsHardwareAccelerated)
                for (; i + 16 <= n; i += 16)
                {
                    float* r = rows + i;
                    Vector256<float> a = Vector256.Load(r) * w[0], b = Vector256.Load(r + 8) * w[0];
                    for (int t = 1; t < taps; t++)
                    {
                        r += stride;
                        var wt = Vector256.Create(w[t]);
                        a = Vector256.FusedMultiplyAdd(Vector256.Load(r), wt, a);
                        b = Vector256.FusedMultiplyAdd(Vector256.Load(r + 8), wt, b);
                    }
                    a.Store(dst + i); b.Store(dst + i + 8);
                }
            for (; i < n; i++)
            {
                float acc = 0;
                for (int t = 0; t < taps; t++) acc += rows[t * stride + i] * w[t];
                dst[i] = acc;
            }
        }
    }

    /// <summary>
    /// The horizontal pass of one window, as dense blocks: output columns 8j … 8j+7 read source columns
    /// Base[j] … Base[j]+Span[j]−1 with weight Weights[Offset[j] + 8k + lane] for column Base[j]+k. A block costs a
    /// broadcast and a vector FMA per source column, with no gathers; mirroring and black columns outside the image
    /// (weight 0) are part of the weights.
    /// </summary>
    private sealed class ColumnPlan
    {
        public int Width, Blocks, First, End;
        public int[] Base = [], Span = [], Offset = [];
        public float[] Weights = [];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ColumnPlan Build(TapTable xs, int x0, int width, bool flip)
        {
            Width = width; Blocks = (width + 7) / 8;
            if (Base.Length < Blocks) { Base = new int[Blocks]; Span = new int[Blocks]; Offset = new int[Blocks]; }
            int total = 0;
            First = int.MaxValue; End = 0;
            for (int j = 0; j < Blocks; j++)
            {
                int lo = int.MaxValue, hi = 0;
                for (int x = 8 * j; x < Math.Min(width, 8 * j + 8); x++)
                {
                    int u = x0 + (flip ? width - 1 - x : x);
                    if ((uint)u >= (uint)xs.Scaled) continue;
                    lo = Math.Min(lo, xs.Start[u]); hi = Math.Max(hi, xs.Start[u] + xs.Count[u]);
                }
                if (lo == int.MaxValue) lo = hi = 0;
                (Base[j], Span[j], Offset[j]) = (lo, hi - lo, total);
                total += 8 * (hi - lo);
                if (hi > lo) { First = Math.Min(First, lo); End = Math.Max(End, hi); }
            }
            if (First == int.MaxValue) First = End = 0;
            if (Weights.Length < total) Weights = new float[Math.Max(total, 2 * Weights.Length)];
            Array.Clear(Weights, 0, total);
            for (int j = 0; j < Blocks; j++)
                for (int x = 8 * j; x < Math.Min(width, 8 * j + 8); x++)
                {
                    int u = x0 + (flip ? width - 1 - x : x);
                    if ((uint)u >= (uint)xs.Scaled) continue;
                    for (int t = 0; t < xs.Count[u]; t++)
                    {
                        int at = Offset[j] + 8 * (xs.Start[u] + t - Base[j]) + (x - 8 * j);
                        Weights[at] = xs.Weights[u * xs.MaxTaps + t];
                    }
                }
            return this;
        }

        /// <summary>One channel: o[x] = (Σ_k w · s[(Base + k)·step]) · scale + bias.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void Apply(float* s, int step, float* w, float* o, float scale, float bias)
        {
            for (int j = 0; j < Blocks; j++)
            {
                var acc = Vector256<float>.Zero;
                float* wj = w + Offset[j], sj = s + Base[j] * step;
                for (int k = 0; k < Span[j]; k++) acc += Vector256.Load(wj + 8 * k) * sj[k * step];
                Store(acc * scale + Vector256.Create(bias), o, j);
            }
        }

        /// <summary>
        /// Interleaved RGB into three planes <paramref name="plane"/> floats apart, the three channels together.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void ApplyRgb(float* s, float* w, float* o, int plane,
            ReadOnlySpan<float> scale, ReadOnlySpan<float> bias)
        {
            for (int j = 0; j < Blocks; j++)
            {
                // two sets of accumulators (even and odd source columns) halve the dependency chains
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, e0 = a0, e1 = a0, e2 = a0;
                float* wj = w + Offset[j], sj = s + Base[j] * 3;
                int k = 0, span = Span[j];
                for (; k + 2 <= span; k += 2, sj += 6)
                {
                    var wk = Vector256.Load(wj + 8 * k);
                    a0 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[0]), a0);
                    a1 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[1]), a1);
                    a2 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[2]), a2);
                    var wl = Vector256.Load(wj + 8 * k + 8);
                    e0 = Vector256.FusedMultiplyAdd(wl, Vector256.Create(sj[3]), e0);
                    e1 = Vector256.FusedMultiplyAdd(wl, Vector256.Create(sj[4]), e1);
                    e2 = Vector256.FusedMultiplyAdd(wl, Vector256.Create(sj[5]), e2);
                }
                if (k < span)
                {
                    var wk = Vector256.Load(wj + 8 * k);
                    a0 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[0]), a0);
                    a1 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[1]), a1);
                    a2 = Vector256.FusedMultiplyAdd(wk, Vector256.Create(sj[2]), a2);
                }
                Store((a0 + e0) * scale[0] + Vector256.Create(bias[0]), o, j);
                Store((a1 + e1) * scale[1] + Vector256.Create(bias[1]), o + plane, j);
                Store((a2 + e2) * scale[2] + Vector256.Create(bias[2]), o + 2 * plane, j);
            }
        }

        private unsafe void Store(Vector256<float> v, float* o, int j)
        {
            if (8 * j + 8 <= Width) { v.Store(o + 8 * j); return; }
            for (int x = 8 * j; x < Width; x++) o[x] = v[x - 8 * j];   // the last, partial block
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ToFloat(byte* src, float* dst, int n)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32)
            {
                var b = Vector256.Load(src + i);
                var (lo, hi) = Vector256.Widen(b);
                var (a0, a1) = Vector256.Widen(lo);
                var (a2, a3) = Vector256.Widen(hi);
                Vector256.ConvertToSingle(a0).Store(dst + i);
                Vector256.ConvertToSingle(a1).Store(dst + i + 8);
                Vector256.ConvertToSingle(a2).Store(dst + i + 16);
                Vector256.ConvertToSingle(a3).Store(dst + i + 24);
            }
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// Triangle-filter taps for every position of a resized axis (scaled ← source), cached per thread: position
    /// u maps to source centre (u + ½)·src/scaled − ½, with a support widened by the shrink factor, clamped at the
    /// edges and normalised.
    /// </summary>
    private sealed class TapTable
    {
        // per thread, by (scaled, source): photos come in a few dozen sizes, so most images reuse their tables
        [ThreadStatic] private static Dictionary<(int, int), TapTable>? _cache;
        public int Scaled, Source, MaxTaps;
        public int[] Start = [], Count = [];
        public float[] Weights = [];

        public static TapTable For(int scaled, int source)
        {
            _cache ??= [];
            if (_cache.TryGetValue((scaled, source), out var t)) return t;
            if (_cache.Count >= 256) _cache.Clear();
            return _cache[(scaled, source)] = Build(scaled, source);
        }

        private static TapTable Build(int scaled, int source)
        {
            double ratio = (double)source / scaled, support = Math.Max(1.0, ratio);
            int maxTaps = (int)Math.Ceiling(2 * support) + 1;
            var t = new TapTable
            {
                Scaled = scaled, Source = source, MaxTaps = maxTaps,
                Start = new int[scaled], Count = new int[scaled], Weights = new float[scaled * maxTaps],
            };
            for (int u = 0; u < scaled; u++)
            {
                double centre = (u + 0.5) * ratio - 0.5;
                int lo = Math.Max(0, (int)Math.Floor(centre - support) + 1);
                int hi = Math.Min(source - 1, (int)Math.Ceiling(centre + support) - 1);
                if (hi < lo) lo = hi = Math.Clamp((int)Math.Round(centre), 0, source - 1);
                double total = 0;
                for (int s = lo; s <= hi; s++) total += Math.Max(0, 1 - Math.Abs(s - centre) / support);
                // exactly the taps inside the support (all weights nonzero); MaxTaps is the row stride of Weights
                t.Start[u] = lo; t.Count[u] = hi - lo + 1;
                for (int s = lo; s <= hi; s++)
                    t.Weights[u * maxTaps + s - lo] = total > 0
                        ? (float)(Math.Max(0, 1 - Math.Abs(s - centre) / support) / total) : 1f / (hi - lo + 1);
            }
            return t;
        }
    }
}

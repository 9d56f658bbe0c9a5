using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Data;

/// <summary>
/// What the steps of a <see cref="Transform"/> agree on: a window (X, Y, Width, Height) on the decoded image after a
/// virtual resize to ScaledWidth × ScaledHeight, mirrored or not, plus an additive colour shift. Steps only move the
/// window; <see cref="Transform.Render"/> resamples the source once, straight into the model's float input, so a
/// resize followed by a crop costs only the crop's pixels. Parts of the window outside the image are black.
/// </summary>
public struct Frame
{
    public Image Source;
    public int ScaledWidth, ScaledHeight;
    public int X, Y, Width, Height;
    public bool Flip;
    /// <summary>Added to every pixel, per RGB channel, in [0, 1] units (PCA colour augmentation).</summary>
    public Vector3 Shift;

    public static Frame Of(Image image) => new()
    {
        Source = image, ScaledWidth = image.Width, ScaledHeight = image.Height, Width = image.Width, Height = image.Height,
    };
}

/// <summary>
/// One step of an image transform. Steps are composable: a transform is a list of them applied in order, written as a
/// spec like <c>resize:256,random-crop:227,flip,pca-color:0.1</c> (see <see cref="Parse"/>).
/// </summary>
public abstract record ImageStep
{
    /// <summary>Applies the step; <paramref name="view"/> selects one of ten crops in ten-crop evaluation, else −1.</summary>
    public abstract void Apply(ref Frame f, Rng rng, int view);

    /// <summary>True when the step draws random numbers (training augmentation).</summary>
    public virtual bool IsRandom => false;

    /// <summary>
    /// Parses one step: <c>resize:S</c> (shorter side to S), <c>center-crop:S</c> or <c>center-crop:HxW</c>,
    /// <c>random-crop:S</c>, <c>flip</c> (horizontal, p = 0.5), <c>ten-crop:S</c>, <c>pca-color:SIGMA</c>.
    /// </summary>
    public static ImageStep Parse(string text)
    {
        var parts = text.Trim().Split(':', 2);
        string name = parts[0].ToLowerInvariant(), arg = parts.Length > 1 ? parts[1] : "";
        (int H, int W) Size()
        {
            var hw = arg.Split('x');
            if (hw.Length is 1 or 2 && hw.All(s => int.TryParse(s, out int v) && v > 0))
                return (int.Parse(hw[0]), int.Parse(hw[^1]));
            throw new ArgumentException($"transform step '{text}': expected a size like {name}:227 or {name}:227x227");
        }
        return name switch
        {
            "resize" => new ResizeShorter(Size().H),
            "center-crop" => new CenterCrop(Size().H, Size().W),
            "random-crop" => new RandomCrop(Size().H, Size().W),
            "ten-crop" => new TenCrop(Size().H, Size().W),
            "flip" => arg == "" ? new HorizontalFlip() : throw new ArgumentException($"transform step '{text}': flip takes no argument"),
            "pca-color" => float.TryParse(arg == "" ? "0.1" : arg, NumberStyles.Float, CultureInfo.InvariantCulture, out float s) && s >= 0
                ? new PcaColor(s) : throw new ArgumentException($"transform step '{text}': expected pca-color:SIGMA with SIGMA >= 0"),
            _ => throw new ArgumentException($"unknown transform step '{text}'; known: resize:S, center-crop:S, random-crop:S, flip, ten-crop:S, pca-color:SIGMA"),
        };
    }
}

/// <summary>Resizes (virtually) so the window's shorter side is <paramref name="Size"/>, keeping the aspect ratio.</summary>
public sealed record ResizeShorter(int Size) : ImageStep
{
    public override void Apply(ref Frame f, Rng rng, int view)
    {
        double k = (double)Size / Math.Min(f.Width, f.Height);
        if (k == 1) return;
        int Scale(int v) => (int)Math.Round(v * k);
        (f.ScaledWidth, f.ScaledHeight) = (Math.Max(1, Scale(f.ScaledWidth)), Math.Max(1, Scale(f.ScaledHeight)));
        (f.X, f.Y) = (Scale(f.X), Scale(f.Y));
        // the shorter side lands exactly on Size; the other keeps the ratio
        (f.Width, f.Height) = f.Width <= f.Height ? (Size, Math.Max(1, Scale(f.Height))) : (Math.Max(1, Scale(f.Width)), Size);
    }
    public override string ToString() => $"resize:{Size}";
}

/// <summary>The central Height × Width window (a larger window pads with black, as MNIST's 28×28 in LeNet's 32×32).</summary>
public sealed record CenterCrop(int Height, int Width) : ImageStep
{
    public override void Apply(ref Frame f, Rng rng, int view) => Crop(ref f, Height, Width, (f.Width - Width) >> 1, (f.Height - Height) >> 1);
    internal static void Crop(ref Frame f, int h, int w, int dx, int dy) { f.X += dx; f.Y += dy; f.Width = w; f.Height = h; }
    public override string ToString() => Height == Width ? $"center-crop:{Height}" : $"center-crop:{Height}x{Width}";
}

/// <summary>A window of Height × Width at a uniformly random position (AlexNet's 224/227 crops of 256).</summary>
public sealed record RandomCrop(int Height, int Width) : ImageStep
{
    public override bool IsRandom => true;
    public override void Apply(ref Frame f, Rng rng, int view)
    {
        int dx = f.Width >= Width ? rng.Next(f.Width - Width + 1) : (f.Width - Width) >> 1;
        int dy = f.Height >= Height ? rng.Next(f.Height - Height + 1) : (f.Height - Height) >> 1;
        CenterCrop.Crop(ref f, Height, Width, dx, dy);
    }
    public override string ToString() => Height == Width ? $"random-crop:{Height}" : $"random-crop:{Height}x{Width}";
}

/// <summary>Mirrors left–right with probability ½.</summary>
public sealed record HorizontalFlip : ImageStep
{
    public override bool IsRandom => true;
    public override void Apply(ref Frame f, Rng rng, int view) { if ((rng.NextULong() >> 63) != 0) f.Flip = !f.Flip; }
    public override string ToString() => "flip";
}

/// <summary>
/// The paper's test-time crops: views 0–4 are the four corners and the centre, 5–9 the same mirrored. Outside
/// ten-crop evaluation (view −1) it is a centre crop.
/// </summary>
public sealed record TenCrop(int Height, int Width) : ImageStep
{
    public const int Views = 10;
    public override void Apply(ref Frame f, Rng rng, int view)
    {
        int v = view < 0 ? 4 : view % 5;
        int right = f.Width - Width, bottom = f.Height - Height;
        var (dx, dy) = v switch { 0 => (0, 0), 1 => (right, 0), 2 => (0, bottom), 3 => (right, bottom), _ => (right >> 1, bottom >> 1) };
        CenterCrop.Crop(ref f, Height, Width, dx, dy);
        if (view >= 5) f.Flip = !f.Flip;
    }
    public override string ToString() => Height == Width ? $"ten-crop:{Height}" : $"ten-crop:{Height}x{Width}";
}

/// <summary>
/// AlexNet's colour augmentation (Krizhevsky et al. 2012, §4.1): adds Σⱼ pⱼ αⱼ λⱼ to every RGB pixel, with pⱼ, λⱼ the
/// eigenvectors and eigenvalues of the RGB covariance of the training images and αⱼ ~ N(0, σ²) drawn once per image.
/// The eigen-decomposition comes from <see cref="Transform.Lighting"/>; without it (gray models) the step does nothing.
/// </summary>
public sealed record PcaColor(float Sigma) : ImageStep
{
    public override bool IsRandom => true;
    public override void Apply(ref Frame f, Rng rng, int view) { } // applied by Transform.Apply, which holds the eigenbasis
    public override string ToString() => $"pca-color:{Sigma.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Eigenvalues (decreasing) and unit eigenvectors (columns, row-major 3×3) of the RGB covariance, in [0, 1] units.</summary>
public sealed record ColorPca(float[] Values, float[] Vectors)
{
    /// <summary>Covariance of the RGB values of every <paramref name="step"/>-th pixel of the images, decomposed with MathNet's symmetric EVD.</summary>
    public static ColorPca Fit(IEnumerable<Image> images, int step = 7)
    {
        double n = 0;
        var s = new double[3]; var s2 = new double[3, 3];
        foreach (var im in images)
        {
            if (im.Channels != 3) continue;
            for (long p = 0, count = (long)im.Width * im.Height; p < count; p += step)
            {
                double r = im.Pixels[3 * p] / 255.0, g = im.Pixels[3 * p + 1] / 255.0, b = im.Pixels[3 * p + 2] / 255.0;
                Span<double> v = [r, g, b];
                for (int i = 0; i < 3; i++) { s[i] += v[i]; for (int j = 0; j < 3; j++) s2[i, j] += v[i] * v[j]; }
                n++;
            }
        }
        if (n < 2) throw new DataException("PCA colour augmentation needs RGB training images; none were found (drop pca-color from --train-transform)");
        var cov = Matrix<double>.Build.Dense(3, 3, (i, j) => (s2[i, j] - s[i] * s[j] / n) / (n - 1));
        var (values, vectors) = Maths.SymmetricEigen.Of(cov);
        return new ColorPca(values.Select(v => (float)Math.Max(v, 0)).ToArray(), Enumerable.Range(0, 9).Select(k => (float)vectors[k / 3, k % 3]).ToArray());
    }

    /// <summary>The RGB shift for one image: Σⱼ pⱼ αⱼ λⱼ with αⱼ ~ N(0, σ²).</summary>
    public Vector3 Draw(Rng rng, float sigma)
    {
        Span<float> a = stackalloc float[3];
        for (int j = 0; j < 3; j++) a[j] = (float)(rng.NextGaussian() * sigma) * Values[j];
        return new Vector3(
            Vectors[0] * a[0] + Vectors[1] * a[1] + Vectors[2] * a[2],
            Vectors[3] * a[0] + Vectors[4] * a[1] + Vectors[5] * a[2],
            Vectors[6] * a[0] + Vectors[7] * a[1] + Vectors[8] * a[2]);
    }
}

/// <summary>
/// A list of <see cref="ImageStep"/>s plus per-channel normalisation, rendering one decoded image into a model's
/// (C, H, W) float input. The window left by the steps is centred on the input (cropped or padded with black) when
/// its size differs; gray images are replicated to RGB and RGB turned to gray (ITU-R 601) as the model asks.
/// Resampling is separable with a triangle filter widened by the shrink factor (antialiased bilinear).
/// </summary>
public sealed class Transform
{
    private readonly float[] _scale, _offset;

    public Transform(IReadOnlyList<ImageStep> steps, int[] inputShape, float[] mean, float[] std, ColorPca? lighting = null)
    {
        (Channels, Height, Width) = (inputShape[0], inputShape[1], inputShape[2]);
        if (mean.Length != Channels || std.Length != Channels) throw new ArgumentException($"normalisation has {mean.Length} channels, model input has {Channels}");
        Steps = steps.ToArray(); Mean = mean; Std = std; Lighting = lighting;
        _scale = std.Select(s => 1f / (255f * s)).ToArray();
        _offset = Enumerable.Range(0, Channels).Select(c => -mean[c] / std[c]).ToArray();
    }

    public IReadOnlyList<ImageStep> Steps { get; }
    public float[] Mean { get; }
    public float[] Std { get; }
    public ColorPca? Lighting { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public int SampleSize => Channels * Height * Width;
    public bool IsRandom => Steps.Any(s => s.IsRandom);
    public bool NeedsLighting => Steps.Any(s => s is PcaColor) && Channels == 3;
    /// <summary>
    /// When the first step resizes the shorter side to S, images may be decoded at any size whose shorter side is at
    /// least S (JPEG's reduced-scale decoding); 0 when the full image is needed.
    /// </summary>
    public int DecodeShorterSide => DecodeShorterSideOf(Steps);

    public static int DecodeShorterSideOf(IReadOnlyList<ImageStep> steps) => steps is [ResizeShorter r, ..] ? r.Size : 0;

    public static ImageStep[] ParseSteps(string spec) =>
        spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ImageStep.Parse).ToArray();

    public static string Format(IEnumerable<ImageStep> steps) => string.Join(",", steps);

    /// <summary>Runs the steps and renders the image into <paramref name="dst"/> (C·H·W floats).</summary>
    public void Apply(Image image, Span<float> dst, Rng rng, int view = -1)
    {
        var f = Frame.Of(image);
        foreach (var step in Steps)
        {
            step.Apply(ref f, rng, view);
            if (step is PcaColor p && Lighting is not null && p.Sigma > 0) f.Shift += Lighting.Draw(rng, p.Sigma);
        }
        if (f.Width != Width || f.Height != Height) CenterCrop.Crop(ref f, Height, Width, (f.Width - Width) >> 1, (f.Height - Height) >> 1);
        Render(in f, dst);
    }

    [ThreadStatic] private static float[]? _rows;
    [ThreadStatic] private static byte[]? _gray;
    [ThreadStatic] private static ColumnPlan? _plan;

    /// <summary>Resamples the frame's window (already the input size) into normalised planar floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]   // hot loops: fully optimised from the first image
    public unsafe void Render(in Frame f, Span<float> dst)
    {
        var src = f.Source;
        int sc = src.Channels;
        byte[] pixels = src.Pixels;
        if (Channels == 1 && sc == 3)
        {
            // RGB → gray once, then render as gray
            int n = src.Width * src.Height;
            var g = _gray is { Length: var len } && len >= n ? _gray : _gray = new byte[n];
            for (int i = 0; i < n; i++) g[i] = (byte)((299 * pixels[3 * i] + 587 * pixels[3 * i + 1] + 114 * pixels[3 * i + 2] + 500) / 1000);
            pixels = g; sc = 1;
        }
        if (dst.Length < SampleSize) throw new ArgumentException($"destination holds {dst.Length} floats, the input needs {SampleSize}");
        Span<float> shift = [f.Shift.X, f.Shift.Y, f.Shift.Z];
        Span<float> scale = stackalloc float[Channels], offset = stackalloc float[Channels];
        for (int c = 0; c < Channels; c++) { scale[c] = _scale[c]; offset[c] = _offset[c] + (Channels == 3 ? shift[c] / Std[c] : 0); }
        int plane = Height * Width, rowLen = src.Width * sc;

        fixed (byte* src0 = pixels)
        fixed (float* d0 = dst)
        {
            if (f.ScaledWidth == src.Width && f.ScaledHeight == src.Height)
            {
                // no resize: a (possibly mirrored, possibly padded) copy through the normalisation
                int xa = Math.Clamp(f.Flip ? f.X + Width - src.Width : -f.X, 0, Width);   // first output column inside the image
                int xb = Math.Clamp(f.Flip ? f.X + Width : src.Width - f.X, 0, Width);     // one past the last
                int first = f.Flip ? f.X + Width - xb : f.X + xa;                          // leftmost source column used
                var row = _rows is { Length: var lr } && lr >= rowLen ? _rows : _rows = new float[Math.Max(rowLen, 4096)];
                fixed (float* r = row)
                    for (int y = 0; y < Height; y++)
                    {
                        int sy = f.Y + y;
                        bool inside = (uint)sy < (uint)src.Height && xa < xb;
                        for (int c = 0; c < Channels; c++)
                        {
                            var o = new Span<float>(d0 + c * plane + y * Width, Width);
                            if (!inside) { o.Fill(offset[c]); continue; }
                            o[..xa].Fill(offset[c]); o[xb..].Fill(offset[c]);
                        }
                        if (!inside) continue;
                        ToFloat(src0 + (long)sy * rowLen + first * sc, r, (xb - xa) * sc);
                        float* o0 = d0 + y * Width + xa;
                        if (sc == 3) CopyRgb(r, xb - xa, f.Flip, o0, o0 + plane, o0 + 2 * plane, scale, offset);
                        else for (int c = 0; c < Channels; c++) CopyGray(r, xb - xa, f.Flip, o0 + c * plane, scale[c], offset[c]);
                    }
                return;
            }

            // separable resampling of just the window. Vertical first: each output row is a weighted sum of a few
            // source rows (floats, vectorised along the row); then horizontal, eight output columns at a time from
            // the few source columns they span (ColumnPlan).
            var xs = TapTable.For(f.ScaledWidth, src.Width);
            var ys = TapTable.For(f.ScaledHeight, src.Height);
            var plan = (_plan ??= new ColumnPlan()).Build(xs, f.X, Width, f.Flip);
            int c0 = plan.First * sc, c1 = plan.End * sc;   // the source row elements the window reads
            int v0 = Math.Clamp(f.Y, 0, f.ScaledHeight - 1), v1 = Math.Clamp(f.Y + Height - 1, 0, f.ScaledHeight - 1);
            int y0 = ys.Start[v0], y1 = ys.Start[v1] + ys.Count[v1] - 1, rows = y1 - y0 + 1;
            int need = rowLen * (rows + 1);
            var tmp = _rows is { Length: var l } && l >= need ? _rows : _rows = new float[Math.Max(need, 4096)];
            fixed (float* t0 = tmp)
            fixed (float* pw = plan.Weights)
            {
                // the source rows the window needs, converted to floats once
                ToFloat(src0 + (long)y0 * rowLen, t0, rows * rowLen);
                float* s = t0 + rows * rowLen;
                for (int y = 0; y < Height; y++)
                {
                    int v = f.Y + y;
                    if ((uint)v >= (uint)f.ScaledHeight)
                    {
                        for (int c = 0; c < Channels; c++) new Span<float>(d0 + c * plane + y * Width, Width).Fill(offset[c]);
                        continue;
                    }
                    WeightedRows(t0 + (ys.Start[v] - y0) * rowLen + c0, rowLen, ys.Weights.AsSpan(v * ys.MaxTaps, ys.Count[v]), s + c0, c1 - c0);
                    if (sc == 3 && Channels == 3) plan.ApplyRgb(s, pw, d0 + y * Width, plane, scale, offset);
                    else for (int c = 0; c < Channels; c++) plan.Apply(s, sc, pw, d0 + c * plane + y * Width, scale[c], offset[c]);
                }
            }
        }
    }

    // Permutations putting blended R, G, B lanes in pixel order, forwards and mirrored (see CopyRgb).
    private static readonly Vector256<int>[] Order =
    [
        Vector256.Create(0, 3, 6, 1, 4, 7, 2, 5), Vector256.Create(1, 4, 7, 2, 5, 0, 3, 6), Vector256.Create(2, 5, 0, 3, 6, 1, 4, 7),
        Vector256.Create(5, 2, 7, 4, 1, 6, 3, 0), Vector256.Create(6, 3, 0, 5, 2, 7, 4, 1), Vector256.Create(7, 4, 1, 6, 3, 0, 5, 2),
    ];

    // o_c[j] = r[3·p + c]·k_c + b_c with p = j, or n−1−j mirrored: eight RGB pixels (three vectors) are split into
    // planes by two blends and one permutation per channel; the mirror is folded into the permutation.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void CopyRgb(float* r, int n, bool flip, float* o0, float* o1, float* o2, ReadOnlySpan<float> k, ReadOnlySpan<float> b)
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
                        Weights[Offset[j] + 8 * (xs.Start[u] + t - Base[j]) + (x - 8 * j)] = xs.Weights[u * xs.MaxTaps + t];
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

        /// <summary>Interleaved RGB into three planes <paramref name="plane"/> floats apart, the three channels together.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public unsafe void ApplyRgb(float* s, float* w, float* o, int plane, ReadOnlySpan<float> scale, ReadOnlySpan<float> bias)
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
    /// u maps to source centre (u + ½)·src/scaled − ½, with a support widened by the shrink factor, clamped at the edges
    /// and normalised.
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
            var t = new TapTable { Scaled = scaled, Source = source, MaxTaps = maxTaps, Start = new int[scaled], Count = new int[scaled], Weights = new float[scaled * maxTaps] };
            for (int u = 0; u < scaled; u++)
            {
                double centre = (u + 0.5) * ratio - 0.5;
                int lo = Math.Max(0, (int)Math.Floor(centre - support) + 1), hi = Math.Min(source - 1, (int)Math.Ceiling(centre + support) - 1);
                if (hi < lo) lo = hi = Math.Clamp((int)Math.Round(centre), 0, source - 1);
                double total = 0;
                for (int s = lo; s <= hi; s++) total += Math.Max(0, 1 - Math.Abs(s - centre) / support);
                // exactly the taps inside the support (all weights nonzero); MaxTaps is the row stride of Weights
                t.Start[u] = lo; t.Count[u] = hi - lo + 1;
                for (int s = lo; s <= hi; s++)
                    t.Weights[u * maxTaps + s - lo] = total > 0 ? (float)(Math.Max(0, 1 - Math.Abs(s - centre) / support) / total) : 1f / (hi - lo + 1);
            }
            return t;
        }
    }
}

/// <summary>Per-channel mean and standard deviation of decoded images, in [0, 1] units.</summary>
public static class ChannelStatistics
{
    /// <summary>
    /// Statistics for a model input of <paramref name="channels"/> channels: gray images count in every channel of an
    /// RGB model, RGB images are averaged into a gray one.
    /// </summary>
    public static (float[] Mean, float[] Std) Of(IEnumerable<Image> images, int channels)
    {
        var hist = new long[channels, 256];
        foreach (var im in images)
        {
            long n = (long)im.Width * im.Height;
            for (long p = 0; p < n; p++)
                for (int c = 0; c < channels; c++)
                {
                    int v = im.Channels == channels ? im.Pixels[p * channels + c]
                        : im.Channels == 1 ? im.Pixels[p]
                        : (299 * im.Pixels[3 * p] + 587 * im.Pixels[3 * p + 1] + 114 * im.Pixels[3 * p + 2] + 500) / 1000;
                    hist[c, v]++;
                }
        }
        var mean = new float[channels]; var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double n = 0, s = 0, s2 = 0;
            for (int v = 0; v < 256; v++) { double x = v / 255.0; n += hist[c, v]; s += hist[c, v] * x; s2 += hist[c, v] * x * x; }
            if (n == 0) throw new DataException("no readable training images to compute the normalisation from");
            double m = s / n;
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(Math.Max(s2 / n - m * m, 0)), 1e-6);
        }
        return (mean, std);
    }
}

using System.Globalization;
using System.Numerics;
using System.Runtime.Intrinsics;
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
        var (values, vectors) = Classic.Pca.Eigen(cov);
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

    /// <summary>Resamples the frame's window (already the input size) into normalised planar floats.</summary>
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
        Span<float> shift = [f.Shift.X, f.Shift.Y, f.Shift.Z];
        Span<float> scale = stackalloc float[Channels], offset = stackalloc float[Channels];
        for (int c = 0; c < Channels; c++) { scale[c] = _scale[c]; offset[c] = _offset[c] + (Channels == 3 ? shift[c] / Std[c] : 0); }
        int plane = Height * Width;

        fixed (byte* src0 = pixels)
        fixed (float* d0 = dst)
        {
            if (f.ScaledWidth == src.Width && f.ScaledHeight == src.Height)
            {
                // no resize: a (possibly mirrored, possibly padded) copy through the normalisation
                int xa = Math.Clamp(f.Flip ? f.X + Width - src.Width : -f.X, 0, Width);   // first output column inside the image
                int xb = Math.Clamp(f.Flip ? f.X + Width : src.Width - f.X, 0, Width);     // one past the last
                for (int c = 0; c < Channels; c++)
                {
                    int ch = Math.Min(c, sc - 1);
                    float k = scale[c], b = offset[c];
                    for (int y = 0; y < Height; y++)
                    {
                        float* o = d0 + c * plane + y * Width;
                        int sy = f.Y + y;
                        if ((uint)sy >= (uint)src.Height || xa >= xb) { new Span<float>(o, Width).Fill(b); continue; }
                        for (int x = 0; x < xa; x++) o[x] = b;
                        for (int x = xb; x < Width; x++) o[x] = b;
                        byte* row = src0 + (long)sy * src.Width * sc + ch;
                        if (f.Flip) { int top = f.X + Width - 1; for (int x = xa; x < xb; x++) o[x] = row[(top - x) * sc] * k + b; }
                        else { for (int x = xa; x < xb; x++) o[x] = row[(f.X + x) * sc] * k + b; }
                    }
                }
                return;
            }

            // separable resampling of just the window. Vertical first: each output row is a weighted sum of a few whole
            // source rows (floats, vectorised); then horizontal: a few taps per output column, de-interleaved and normalised.
            var xs = TapTable.For(f.ScaledWidth, src.Width, 0);
            var ys = TapTable.For(f.ScaledHeight, src.Height, 1);
            int rowLen = src.Width * sc;
            // the source rows the window needs, converted to floats once
            int v0 = Math.Clamp(f.Y, 0, f.ScaledHeight - 1), v1 = Math.Clamp(f.Y + Height - 1, 0, f.ScaledHeight - 1);
            int y0 = ys.Start[v0], y1 = ys.Start[v1] + ys.Count[v1] - 1, rows = y1 - y0 + 1;
            int need = rowLen * (rows + 1);
            var tmp = _rows is { Length: var l } && l >= need ? _rows : _rows = new float[Math.Max(need, 4096)];
            fixed (float* t0 = tmp)
            fixed (int* xStart = xs.Start, xCount = xs.Count)
            fixed (float* xw = xs.Weights)
            {
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
                    int n = ys.Count[v], r0 = ys.Start[v] - y0;
                    WeightedRows(t0 + r0 * rowLen, rowLen, ys.Weights.AsSpan(v * ys.MaxTaps, n), s);
                    int mt = xs.MaxTaps;
                    if (sc == 3 && Channels == 3 && xs.Padded)
                    {
                        // RGB: the three channels together, a fixed number of (zero-padded) taps per column
                        float* o0 = d0 + y * Width, o1 = o0 + plane, o2 = o1 + plane;
                        for (int x = 0; x < Width; x++)
                        {
                            int u = f.X + (f.Flip ? Width - 1 - x : x);
                            if ((uint)u >= (uint)f.ScaledWidth) { o0[x] = offset[0]; o1[x] = offset[1]; o2[x] = offset[2]; continue; }
                            float* w = xw + u * mt;
                            float* p = s + xStart[u] * 3;
                            float a0 = 0, a1 = 0, a2 = 0;
                            for (int t = 0; t < mt; t++, p += 3) { float wt = w[t]; a0 += wt * p[0]; a1 += wt * p[1]; a2 += wt * p[2]; }
                            o0[x] = a0 * scale[0] + offset[0]; o1[x] = a1 * scale[1] + offset[1]; o2[x] = a2 * scale[2] + offset[2];
                        }
                        continue;
                    }
                    for (int c = 0; c < Channels; c++)
                    {
                        int ch = Math.Min(c, sc - 1);
                        float k = scale[c], b = offset[c];
                        float* o = d0 + c * plane + y * Width;
                        for (int x = 0; x < Width; x++)
                        {
                            int u = f.X + (f.Flip ? Width - 1 - x : x);
                            if ((uint)u >= (uint)f.ScaledWidth) { o[x] = b; continue; }
                            int m = xCount[u];
                            float* w = xw + u * mt;
                            float* p = s + xStart[u] * sc + ch;
                            float acc = 0;
                            for (int t = 0; t < m; t++) acc += w[t] * p[t * sc];
                            o[x] = acc * k + b;
                        }
                    }
                }
            }
        }
    }

    // dst[i] = Σ_t w[t] · rows[t·stride + i]: one pass over the row, eight lanes at a time
    private static unsafe void WeightedRows(float* rows, int stride, ReadOnlySpan<float> w, float* dst)
    {
        int i = 0, n = w.Length;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= stride; i += 8)
            {
                var acc = Vector256.Load(rows + i) * w[0];
                for (int t = 1; t < n; t++) acc += Vector256.Load(rows + t * stride + i) * w[t];
                acc.Store(dst + i);
            }
        for (; i < stride; i++)
        {
            float acc = 0;
            for (int t = 0; t < n; t++) acc += rows[t * stride + i] * w[t];
            dst[i] = acc;
        }
    }

    private static unsafe void ToFloat(byte* src, float* dst, int n)
    {
        int i = 0;
        if (System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated)
            for (; i + 32 <= n; i += 32)
            {
                var b = System.Runtime.Intrinsics.Vector256.Load(src + i);
                var (lo, hi) = System.Runtime.Intrinsics.Vector256.Widen(b);
                var (a0, a1) = System.Runtime.Intrinsics.Vector256.Widen(lo);
                var (a2, a3) = System.Runtime.Intrinsics.Vector256.Widen(hi);
                System.Runtime.Intrinsics.Vector256.ConvertToSingle(a0).Store(dst + i);
                System.Runtime.Intrinsics.Vector256.ConvertToSingle(a1).Store(dst + i + 8);
                System.Runtime.Intrinsics.Vector256.ConvertToSingle(a2).Store(dst + i + 16);
                System.Runtime.Intrinsics.Vector256.ConvertToSingle(a3).Store(dst + i + 24);
            }
        for (; i < n; i++) dst[i] = src[i];
    }

    /// <summary>
    /// Triangle-filter taps for every position of a resized axis (scaled ← source), cached per thread and axis: position
    /// u maps to source centre (u + ½)·src/scaled − ½, with a support widened by the shrink factor, clamped at the edges
    /// and normalised.
    /// </summary>
    private sealed class TapTable
    {
        [ThreadStatic] private static TapTable?[]? _cache;
        public int Scaled, Source, MaxTaps;
        /// <summary>Every position has exactly MaxTaps taps (zero weights fill), start clamped so they stay inside the source.</summary>
        public bool Padded;
        public int[] Start = [], Count = [];
        public float[] Weights = [];

        public static TapTable For(int scaled, int source, int axis)
        {
            _cache ??= new TapTable?[2];
            if (_cache[axis] is { } t && t.Scaled == scaled && t.Source == source) return t;
            return _cache[axis] = Build(scaled, source);
        }

        private static TapTable Build(int scaled, int source)
        {
            double ratio = (double)source / scaled, support = Math.Max(1.0, ratio);
            int maxTaps = (int)Math.Ceiling(2 * support) + 1;
            var t = new TapTable { Scaled = scaled, Source = source, MaxTaps = maxTaps, Padded = source >= maxTaps, Start = new int[scaled], Count = new int[scaled], Weights = new float[scaled * maxTaps] };
            for (int u = 0; u < scaled; u++)
            {
                double centre = (u + 0.5) * ratio - 0.5;
                int lo = Math.Max(0, (int)Math.Floor(centre - support) + 1), hi = Math.Min(source - 1, (int)Math.Ceiling(centre + support) - 1);
                if (hi < lo) lo = hi = Math.Clamp((int)Math.Round(centre), 0, source - 1);
                double total = 0;
                for (int s = lo; s <= hi; s++) total += Math.Max(0, 1 - Math.Abs(s - centre) / support);
                int first = source >= maxTaps ? Math.Min(lo, source - maxTaps) : lo;
                t.Start[u] = first; t.Count[u] = source >= maxTaps ? maxTaps : hi - lo + 1;
                for (int s = lo; s <= hi; s++)
                    t.Weights[u * maxTaps + s - first] = total > 0 ? (float)(Math.Max(0, 1 - Math.Abs(s - centre) / support) / total) : 1f / (hi - lo + 1);
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

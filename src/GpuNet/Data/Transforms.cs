using System.Globalization;
using System.Numerics;
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

    public Transform WithNormalisation(float[] mean, float[] std, ColorPca? lighting) => new(Steps, [Channels, Height, Width], mean, std, lighting);

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
    public void Render(in Frame f, Span<float> dst)
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

        if (f.ScaledWidth == src.Width && f.ScaledHeight == src.Height)
        {
            // no resize: a (possibly mirrored, possibly padded) copy through the normalisation
            for (int c = 0; c < Channels; c++)
            {
                int ch = Math.Min(c, sc - 1);
                var outPlane = dst.Slice(c * plane, plane);
                for (int y = 0; y < Height; y++)
                {
                    int sy = f.Y + y;
                    var row = outPlane.Slice(y * Width, Width);
                    if ((uint)sy >= (uint)src.Height) { row.Fill(offset[c]); continue; }
                    int rowStart = sy * src.Width;
                    for (int x = 0; x < Width; x++)
                    {
                        int sx = f.X + (f.Flip ? Width - 1 - x : x);
                        row[x] = (uint)sx < (uint)src.Width ? pixels[(rowStart + sx) * sc + ch] * scale[c] + offset[c] : offset[c];
                    }
                }
            }
            return;
        }

        // separable resampling of just the window: taps per output column and row, horizontal pass over the source rows
        // the window needs, then the vertical pass into the output
        var xs = Taps(f.X, Width, f.ScaledWidth, src.Width, f.Flip);
        var ys = Taps(f.Y, Height, f.ScaledHeight, src.Height, false);
        int y0 = int.MaxValue, y1 = -1;
        for (int y = 0; y < Height; y++) if (ys.Count[y] > 0) { y0 = Math.Min(y0, ys.Start[y]); y1 = Math.Max(y1, ys.Start[y] + ys.Count[y] - 1); }
        int rowsNeeded = Math.Max(0, y1 - y0 + 1), rowLen = Width * sc;
        var tmp = _rows is { Length: var l } && l >= rowsNeeded * rowLen ? _rows : _rows = new float[Math.Max(rowsNeeded * rowLen, 1024)];
        for (int r = 0; r < rowsNeeded; r++)
        {
            int rowStart = (y0 + r) * src.Width * sc;
            var outRow = tmp.AsSpan(r * rowLen, rowLen);
            for (int x = 0; x < Width; x++)
            {
                int n = xs.Count[x], s0 = xs.Start[x], w0 = xs.WeightAt[x];
                for (int c = 0; c < sc; c++)
                {
                    float acc = 0;
                    for (int t = 0; t < n; t++) acc += xs.Weights[w0 + t] * pixels[rowStart + (s0 + t) * sc + c];
                    outRow[x * sc + c] = acc;
                }
            }
        }
        for (int y = 0; y < Height; y++)
        {
            int n = ys.Count[y], r0 = ys.Start[y] - y0, w0 = ys.WeightAt[y];
            for (int c = 0; c < Channels; c++)
            {
                int ch = Math.Min(c, sc - 1);
                var outRow = dst.Slice(c * plane + y * Width, Width);
                for (int x = 0; x < Width; x++)
                {
                    if (n == 0 || xs.Count[x] == 0) { outRow[x] = offset[c]; continue; }
                    float acc = 0;
                    for (int t = 0; t < n; t++) acc += ys.Weights[w0 + t] * tmp[(r0 + t) * rowLen + x * sc + ch];
                    outRow[x] = acc * scale[c] + offset[c];
                }
            }
        }
    }

    private readonly record struct TapSet(int[] Start, int[] Count, int[] WeightAt, float[] Weights);

    // Output position i of a window starting at `origin` in a `scaled`-long axis maps to source centre
    // (u + ½)·src/scaled − ½; triangle weights over a support widened by the shrink factor, clamped at the edges,
    // normalised. Positions outside [0, scaled) get no taps (black padding).
    private static TapSet Taps(int origin, int length, int scaled, int srcLength, bool mirror)
    {
        double ratio = (double)srcLength / scaled, support = Math.Max(1.0, ratio);
        int maxTaps = (int)Math.Ceiling(2 * support) + 1;
        var start = new int[length]; var count = new int[length]; var at = new int[length]; var weights = new float[length * maxTaps];
        for (int i = 0; i < length; i++)
        {
            int u = origin + (mirror ? length - 1 - i : i);
            at[i] = i * maxTaps;
            if ((uint)u >= (uint)scaled) continue;
            double centre = (u + 0.5) * ratio - 0.5;
            int lo = Math.Max(0, (int)Math.Floor(centre - support) + 1), hi = Math.Min(srcLength - 1, (int)Math.Ceiling(centre + support) - 1);
            if (hi < lo) { lo = hi = Math.Clamp((int)Math.Round(centre), 0, srcLength - 1); }
            double total = 0;
            for (int s = lo; s <= hi; s++) total += Math.Max(0, 1 - Math.Abs(s - centre) / support);
            if (total <= 0) { weights[at[i]] = 1; start[i] = Math.Clamp((int)Math.Round(centre), 0, srcLength - 1); count[i] = 1; continue; }
            start[i] = lo; count[i] = hi - lo + 1;
            for (int s = lo; s <= hi; s++) weights[at[i] + s - lo] = (float)(Math.Max(0, 1 - Math.Abs(s - centre) / support) / total);
        }
        return new TapSet(start, count, at, weights);
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

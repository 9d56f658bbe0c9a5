using System.Globalization;
using System.Numerics;

namespace GpuNet.Data;

/// <summary>
/// What the steps of a <see cref="Transform"/> agree on: a window (X, Y, Width, Height) on the decoded image after a
/// virtual resize to ScaledWidth × ScaledHeight, mirrored or not, plus an additive colour shift. Steps only move the
/// window; <see cref="Transform.Render"/> resamples the source once, straight into the model's float input, so a
/// resize followed by a crop costs only the crop's pixels. Parts of the window outside the image are black.
/// </summary>
public struct Frame
{
    /// <summary>The decoded image.</summary>
    public Image Source;
    /// <summary>The size the image is (virtually) resized to.</summary>
    public int ScaledWidth, ScaledHeight;
    /// <summary>The window, in the resized image's coordinates.</summary>
    public int X, Y, Width, Height;
    /// <summary>Mirrored left–right.</summary>
    public bool Flip;
    /// <summary>Added to every pixel, per RGB channel, in [0, 1] units (PCA colour augmentation).</summary>
    public Vector3 Shift;

    /// <summary>The whole image, not resized.</summary>
    public static Frame Of(Image image) => new()
    {
        Source = image, ScaledWidth = image.Width, ScaledHeight = image.Height,
        Width = image.Width, Height = image.Height,
    };
}

/// <summary>
/// One step of an image transform. Steps are composable: a transform is a list of them applied in order, written as a
/// spec like <c>resize:256,random-crop:227,flip,pca-color:0.1</c> (see <see cref="Parse"/>).
/// </summary>
public abstract record ImageStep
{
    /// <summary>
    /// Applies the step; <paramref name="view"/> selects one of ten crops in ten-crop evaluation, else −1.
    /// </summary>
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
            "flip" => arg == "" ? new HorizontalFlip()
                : throw new ArgumentException($"transform step '{text}': flip takes no argument"),
            "pca-color" => float.TryParse(arg == "" ? "0.1" : arg, NumberStyles.Float, CultureInfo.InvariantCulture,
                    out float s) && s >= 0
                ? new PcaColor(s)
                : throw new ArgumentException($"transform step '{text}': expected pca-color:SIGMA with SIGMA >= 0"),
            _ => throw new ArgumentException($"unknown transform step '{text}'; known: resize:S, center-crop:S, " +
                "random-crop:S, flip, ten-crop:S, pca-color:SIGMA"),
        };
    }
}

/// <summary>
/// Resizes (virtually) so the window's shorter side is <paramref name="Size"/>, keeping the aspect ratio.
/// </summary>
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
        (f.Width, f.Height) = f.Width <= f.Height
            ? (Size, Math.Max(1, Scale(f.Height)))
            : (Math.Max(1, Scale(f.Width)), Size);
    }
    public override string ToString() => $"resize:{Size}";
}

/// <summary>
/// The central Height × Width window (a larger window pads with black, as MNIST's 28×28 in LeNet's 32×32).
/// </summary>
public sealed record CenterCrop(int Height, int Width) : ImageStep
{
    public override void Apply(ref Frame f, Rng rng, int view) =>
        Crop(ref f, Height, Width, (f.Width - Width) >> 1, (f.Height - Height) >> 1);

    internal static void Crop(ref Frame f, int h, int w, int dx, int dy)
    {
        f.X += dx; f.Y += dy; f.Width = w; f.Height = h;
    }

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
    /// <summary>The number of views: four corners and the centre, each also mirrored.</summary>
    public const int Views = 10;
    public override void Apply(ref Frame f, Rng rng, int view)
    {
        int v = view < 0 ? 4 : view % 5;
        int right = f.Width - Width, bottom = f.Height - Height;
        var (dx, dy) = v switch
        {
            0 => (0, 0),
            1 => (right, 0),
            2 => (0, bottom),
            3 => (right, bottom),
            _ => (right >> 1, bottom >> 1),
        };
        CenterCrop.Crop(ref f, Height, Width, dx, dy);
        if (view >= 5) f.Flip = !f.Flip;
    }
    public override string ToString() => Height == Width ? $"ten-crop:{Height}" : $"ten-crop:{Height}x{Width}";
}

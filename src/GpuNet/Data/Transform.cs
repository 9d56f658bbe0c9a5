namespace GpuNet.Data;

/// <summary>
/// A list of <see cref="ImageStep"/>s plus per-channel normalisation, rendering one decoded image into a model's
/// (C, H, W) float input. The window left by the steps is centred on the input (cropped or padded with black) when
/// its size differs; gray images are replicated to RGB and RGB turned to gray (ITU-R 601) as the model asks. The
/// steps only move a window; <see cref="Resampler"/> then reads the source once.
/// </summary>
public sealed class Transform
{
    private readonly float[] _scale, _offset;

    /// <summary>
    /// A transform rendering into a model input of <paramref name="inputShape"/> (C, H, W), normalised per channel
    /// as (v − <paramref name="mean"/>) / <paramref name="std"/> with v in [0, 1]; <paramref name="lighting"/> is the
    /// eigenbasis the <see cref="PcaColor"/> steps draw from.
    /// </summary>
    public Transform(IReadOnlyList<ImageStep> steps, int[] inputShape, float[] mean, float[] std,
        ColorPca? lighting = null)
    {
        (Channels, Height, Width) = (inputShape[0], inputShape[1], inputShape[2]);
        if (mean.Length != Channels || std.Length != Channels)
            throw new ArgumentException($"normalisation has {mean.Length} channels, model input has {Channels}");
        // PCA colour steps draw from the eigenbasis this transform is built with (none: they do nothing)
        Steps = steps.Select(s => s is PcaColor p ? p with { Lighting = lighting } : s).ToArray();
        Mean = mean; Std = std; Lighting = lighting;
        _scale = std.Select(s => 1f / (255f * s)).ToArray();
        _offset = Enumerable.Range(0, Channels).Select(c => -mean[c] / std[c]).ToArray();
    }

    /// <summary>The steps, in order (PCA colour steps carrying <see cref="Lighting"/>).</summary>
    public IReadOnlyList<ImageStep> Steps { get; }
    /// <summary>Per-channel mean, in [0, 1] units.</summary>
    public float[] Mean { get; }
    /// <summary>Per-channel standard deviation, in [0, 1] units.</summary>
    public float[] Std { get; }
    /// <summary>The RGB eigenbasis of the training images, or null.</summary>
    public ColorPca? Lighting { get; }
    /// <summary>The model input's channels (1 or 3).</summary>
    public int Channels { get; }
    /// <summary>The model input's height.</summary>
    public int Height { get; }
    /// <summary>The model input's width.</summary>
    public int Width { get; }
    /// <summary>Floats per rendered image, C·H·W.</summary>
    public int SampleSize => Channels * Height * Width;
    /// <summary>True when a step draws random numbers (training augmentation).</summary>
    public bool IsRandom => Steps.Any(s => s.IsRandom);
    /// <summary>True when a PCA colour step needs the training images' RGB eigenbasis.</summary>
    public bool NeedsLighting => Steps.Any(s => s is PcaColor) && Channels == 3;
    /// <summary>
    /// When the first step resizes the shorter side to S, images may be decoded at any size whose shorter side is at
    /// least S (JPEG's reduced-scale decoding); 0 when the full image is needed.
    /// </summary>
    public int DecodeShorterSide => DecodeShorterSideOf(Steps);

    /// <summary>The S of a leading <c>resize:S</c>, or 0.</summary>
    public static int DecodeShorterSideOf(IReadOnlyList<ImageStep> steps) =>
        steps is [ResizeShorter r, ..] ? r.Size : 0;

    /// <summary>Parses a comma-separated spec such as <c>resize:256,random-crop:227,flip</c>.</summary>
    public static ImageStep[] ParseSteps(string spec) =>
        spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(ImageStep.Parse).ToArray();

    /// <summary>The spec of <paramref name="steps"/>, as <see cref="ParseSteps"/> reads it.</summary>
    public static string Format(IEnumerable<ImageStep> steps) => string.Join(",", steps);

    /// <summary>Runs the steps and renders the image into <paramref name="dst"/> (C·H·W floats).</summary>
    public void Apply(Image image, Span<float> dst, Rng rng, int view = -1)
    {
        var f = Frame.Of(image);
        foreach (var step in Steps) step.Apply(ref f, rng, view);
        if (f.Width != Width || f.Height != Height)
            CenterCrop.Crop(ref f, Height, Width, (f.Width - Width) >> 1, (f.Height - Height) >> 1);
        Render(in f, dst);
    }

    /// <summary>
    /// Resamples the frame's window (already the input size) into normalised planar floats (C·H·W); the frame's
    /// colour shift applies to RGB inputs.
    /// </summary>
    public void Render(in Frame f, Span<float> dst)
    {
        if (dst.Length < SampleSize)
            throw new ArgumentException($"destination holds {dst.Length} floats, the input needs {SampleSize}");
        // (v / 255 + shift − mean) / std = v · scale + offset
        Span<float> shift = [f.Shift.X, f.Shift.Y, f.Shift.Z];
        Span<float> offset = stackalloc float[Channels];
        for (int c = 0; c < Channels; c++) offset[c] = _offset[c] + (Channels == 3 ? shift[c] / Std[c] : 0);
        Resampler.Render(in f, dst, Channels, Height, Width, _scale, offset);
    }
}

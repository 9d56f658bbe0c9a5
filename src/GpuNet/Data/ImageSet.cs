namespace GpuNet.Data;

/// <summary>
/// Images of one size held in memory as bytes (planar C, H, W per image) with their labels: 60,000 MNIST digits
/// take 47 MB this way instead of 188 MB as floats. Batches are converted to floats on the fly.
/// </summary>
public sealed class ImageSet
{
    public ImageSet(string[] classes, int channels, int height, int width, byte[] pixels, int[] labels, string[]? paths = null)
    {
        if (pixels.Length != (long)labels.Length * channels * height * width)
            throw new ArgumentException($"{pixels.Length} pixel bytes for {labels.Length} images of {channels}x{height}x{width}");
        Classes = classes; Channels = channels; Height = height; Width = width; Pixels = pixels; Labels = labels; Paths = paths;
    }

    public string[] Classes { get; }
    public int Channels { get; }
    public int Height { get; }
    public int Width { get; }
    public byte[] Pixels { get; }
    public int[] Labels { get; }
    public string[]? Paths { get; }
    public int Count => Labels.Length;
    public int ImageSize => Channels * Height * Width;

    public ReadOnlySpan<byte> ImageAt(int i) => Pixels.AsSpan(i * ImageSize, ImageSize);

    public ImageSet Subset(IReadOnlyList<int> indices)
    {
        var pixels = new byte[(long)indices.Count * ImageSize];
        var labels = new int[indices.Count];
        var paths = Paths is null ? null : new string[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            ImageAt(indices[i]).CopyTo(pixels.AsSpan(i * ImageSize));
            labels[i] = Labels[indices[i]];
            if (paths is not null) paths[i] = Paths![indices[i]];
        }
        return new ImageSet(Classes, Channels, Height, Width, pixels, labels, paths);
    }

    /// <summary>Per-channel mean and standard deviation of the pixels scaled to [0, 1].</summary>
    public (float[] Mean, float[] Std) ChannelStatistics()
    {
        var mean = new float[Channels]; var std = new float[Channels];
        int plane = Height * Width;
        for (int c = 0; c < Channels; c++)
        {
            var hist = new long[256];
            for (int i = 0; i < Count; i++)
                foreach (byte b in Pixels.AsSpan(i * ImageSize + c * plane, plane)) hist[b]++;
            double n = (double)Count * plane, s = 0, s2 = 0;
            for (int v = 0; v < 256; v++) { double x = v / 255.0; s += hist[v] * x; s2 += hist[v] * x * x; }
            double m = s / n;
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(Math.Max(s2 / n - m * m, 0)), 1e-6);
        }
        return (mean, std);
    }
}

/// <summary>
/// Turns stored images into a normalised float batch for a model input (C, H, W): smaller images are centred on
/// a black border (MNIST's 28×28 digits become LeNet-5's 32×32), gray is replicated to RGB and RGB averaged to
/// gray (ITU-R 601 weights) when the model asks.
/// </summary>
public sealed class BatchBuilder
{
    private readonly float[][] _lut;
    private readonly int _c, _h, _w;

    public BatchBuilder(int[] inputShape, float[] mean, float[] std)
    {
        (_c, _h, _w) = (inputShape[0], inputShape[1], inputShape[2]);
        if (mean.Length != _c || std.Length != _c) throw new ArgumentException($"normalisation has {mean.Length} channels, model input has {_c}");
        _lut = new float[_c][];
        for (int c = 0; c < _c; c++)
        {
            _lut[c] = new float[256];
            for (int v = 0; v < 256; v++) _lut[c][v] = (v / 255f - mean[c]) / std[c];
        }
        Mean = mean; Std = std;
    }

    public float[] Mean { get; }
    public float[] Std { get; }
    public int SampleSize => _c * _h * _w;

    /// <summary>Checks once that a set's images can feed this input; the message says why not.</summary>
    public void Validate(ImageSet set, string what)
    {
        if (set.Height > _h || set.Width > _w || (_h - set.Height) % 2 != 0 || (_w - set.Width) % 2 != 0)
            throw new DataException($"{what}: images are {set.Width}x{set.Height}, the model takes {_w}x{_h} (images may be smaller by an even border; resizing comes with the image pipeline)");
        if (!(set.Channels == _c || set.Channels == 1 || _c == 1))
            throw new DataException($"{what}: images have {set.Channels} channels, the model takes {_c}");
    }

    /// <summary>Writes images[indices] as (N, C, H, W) floats into dst, labels into labels.</summary>
    public void Fill(ImageSet set, ReadOnlySpan<int> indices, Span<float> dst, Span<int> labels)
    {
        int padY = (_h - set.Height) / 2, padX = (_w - set.Width) / 2, plane = set.Height * set.Width;
        for (int i = 0; i < indices.Length; i++)
        {
            var img = set.ImageAt(indices[i]);
            labels[i] = set.Labels[indices[i]];
            var outImg = dst.Slice(i * SampleSize, SampleSize);
            for (int c = 0; c < _c; c++)
            {
                var lut = _lut[c];
                var outPlane = outImg.Slice(c * _h * _w, _h * _w);
                if (padX > 0 || padY > 0) outPlane.Fill(lut[0]);
                for (int y = 0; y < set.Height; y++)
                {
                    var row = outPlane.Slice((y + padY) * _w + padX, set.Width);
                    for (int x = 0; x < set.Width; x++)
                    {
                        int at = y * set.Width + x;
                        byte v = set.Channels == _c ? img[c * plane + at]
                            : set.Channels == 1 ? img[at]
                            : (byte)((299 * img[at] + 587 * img[plane + at] + 114 * img[2 * plane + at] + 500) / 1000);
                        row[x] = lut[v];
                    }
                }
            }
        }
    }
}

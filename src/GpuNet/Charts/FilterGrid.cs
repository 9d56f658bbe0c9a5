using GpuNet.Training;
using SkiaSharp;

namespace GpuNet.Charts;

/// <summary>
/// The first convolution's learned kernels as a grid of tiles, as in figure 3 of the AlexNet paper: RGB for 3-channel
/// inputs, grey for 1, each kernel scaled from its own minimum (black) to its own maximum (white) over all its
/// channels. AlexNet's kernels are drawn per tower, the first half of the output channels being tower 0 (the paper's
/// GPU 1) and the rest tower 1; LeNet-5's as one grid.
/// </summary>
public static class FilterGrid
{
    /// <summary>What a message calls the tensor drawn: the first convolution's filters, (K, C, R, S).</summary>
    private const string WeightName = "the first convolution's weight";

    private const int MaxColumns = 16, TilePixels = 56, Gap = 3, Margin = 20, LabelHeight = 26, FooterHeight = 28;

    /// <summary>
    /// The figure for <paramref name="weights"/> of shape <paramref name="shape"/> (K, C, R, S), C being 1 or 3, drawn
    /// as <paramref name="towers"/> grids of K / towers kernels each.
    /// </summary>
    public static Figure Create(float[] weights, int[] shape, int towers, string title)
    {
        if (shape.Length != 4 || shape.Aggregate(1L, (a, b) => a * b) != weights.Length)
            throw new ChartException($"{WeightName}: shape ({string.Join(", ", shape)}) with {weights.Length} " +
                "values; expected (K, C, R, S) kernels");
        int k = shape[0], c = shape[1], r = shape[2], s = shape[3];
        if (c != 1 && c != 3)
            throw new ChartException(
                $"{WeightName}: {c} input channels; the kernels are drawn for 1 (grey) or 3 (RGB)");
        if (towers < 1 || k % towers != 0)
            throw new ChartException($"{WeightName}: {k} kernels do not split into {towers} towers");
        int perTower = k / towers, scale = Math.Max(1, TilePixels / Math.Max(r, s));
        int rows = (perTower + MaxColumns - 1) / MaxColumns, cols = (perTower + rows - 1) / rows;
        int tileW = s * scale, tileH = r * scale;
        int gridW = cols * tileW + (cols + 1) * Gap, gridH = rows * tileH + (rows + 1) * Gap;
        string footer = $"{k} kernels {r}×{s}{(c == 3 ? ", RGB" : ", grey")}; each scaled from its own minimum " +
            "(black) to its maximum (white)";
        float text = Math.Max(TextWidth(title, 16, true), TextWidth(footer, 12, false));
        int width = Math.Max(gridW, (int)text) + 2 * Margin;
        int height = Figure.TitleHeight + towers * (LabelHeight + gridH + Gap) + FooterHeight;
        var tiles = Enumerable.Range(0, k).Select(i => Tile(weights, i, c, r, s, scale)).ToArray();
        return new Figure(width, height, title, canvas =>
        {
            float y = Figure.TitleHeight;
            float left = (width - gridW) / 2f;
            for (int t = 0; t < towers; t++)
            {
                if (towers > 1)
                    Figure.Text(canvas, $"tower {t} (GPU {t + 1} in the paper): kernels {t * perTower}–" +
                        $"{(t + 1) * perTower - 1}", left, y + LabelHeight - 8, 13, SKTextAlign.Left);
                y += LabelHeight;
                using (var frame = new SKPaint { Color = new SKColor(0x20, 0x20, 0x20), Style = SKPaintStyle.Fill })
                    canvas.DrawRect(left, y, gridW, gridH, frame);
                for (int i = 0; i < perTower; i++)
                {
                    int row = i / cols, col = i % cols;
                    canvas.DrawImage(tiles[t * perTower + i], left + Gap + col * (tileW + Gap),
                        y + Gap + row * (tileH + Gap));
                }
                y += gridH + Gap;
            }
            Figure.Text(canvas, footer, width / 2f, y + FooterHeight - 10, 12, SKTextAlign.Center,
                color: new SKColor(0x55, 0x55, 0x55));
        });
    }

    /// <summary>
    /// The figure for a checkpoint's first convolution (the first conv layer of its network reading the input): per
    /// tower where the network's convolutions are grouped (AlexNet's groups of 2), one grid otherwise.
    /// </summary>
    public static Figure FromCheckpoint(CheckpointFile file)
    {
        var d = Checkpoint.Description(file);
        var convs = d.Layers.Where(l => l.Type == "conv").ToList();
        var first = convs.FirstOrDefault(l => l.Inputs.Count == 0 && d.Layers[0] == l
            || l.Inputs.Contains(Networks.NetworkDescription.InputName)) ?? convs.FirstOrDefault()
            ?? throw new ChartException($"{file.Path}: network '{d.Name}' has no convolution, so no kernels to draw");
        string key = $"{first.Name}.weight";
        if (!file.Tensors.TryGetValue(key, out var w))
            throw new ChartException($"{file.Path}: has no tensor '{key}' (the first convolution's filters)");
        int towers = convs.Select(l => l.Setting("groups")?.Scalar is { } g && int.TryParse(g, out int n) ? n : 1)
            .FirstOrDefault(n => n > 1, 1);
        string epoch = RunState.EpochOf(file) is int e ? $", epoch {e}" : "";
        return Create(w.Data, w.Shape, towers,
            $"{first.Name} kernels of {d.Name}{epoch} ({Path.GetFileName(file.Path)})");
    }

    /// <summary>Writes a checkpoint's FOLDER/NAME.png and FOLDER/NAME.svg (see <see cref="FromCheckpoint"/>).</summary>
    public static ChartFiles Write(string folder, string name, CheckpointFile file) =>
        FromCheckpoint(file).Save(folder, name);

    // kernel i as a tile, each weight a scale × scale block; RGB from channels 0, 1, 2 (the images' R, G, B planes)
    private static SKImage Tile(float[] weights, int i, int c, int r, int s, int scale)
    {
        var kernel = weights.AsSpan(i * c * r * s, c * r * s);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in kernel)
            if (float.IsFinite(v)) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        byte Level(float v) => !float.IsFinite(v) || !(hi > lo) ? (byte)128
            : (byte)Math.Clamp(MathF.Round((v - lo) / (hi - lo) * 255f), 0, 255);
        var pixels = new SKColor[r * scale * s * scale];
        for (int y = 0; y < r * scale; y++)
            for (int x = 0; x < s * scale; x++)
            {
                int at = y / scale * s + x / scale;
                byte red = Level(kernel[at]);
                pixels[y * s * scale + x] = c == 1 ? new SKColor(red, red, red)
                    : new SKColor(red, Level(kernel[r * s + at]), Level(kernel[2 * r * s + at]));
            }
        using var bitmap = new SKBitmap(s * scale, r * scale, SKColorType.Rgba8888, SKAlphaType.Opaque);
        bitmap.Pixels = pixels;
        return SKImage.FromBitmap(bitmap);
    }

    private static float TextWidth(string text, float size, bool bold)
    {
        using var font = new SKFont(ChartFont.Typeface(bold), size);
        return font.MeasureText(text);
    }
}

using GpuNet.Training;
using SkiaSharp;

namespace GpuNet.Charts;

/// <summary>The two files of a chart: the same picture as PNG and as SVG.</summary>
public sealed record ChartFiles(string Png, string Svg);

/// <summary>A chart that cannot be drawn (no font for its text, a tensor of the wrong shape).</summary>
public sealed class ChartException(string message) : Exception(message);

/// <summary>
/// A picture of a fixed size in pixels, drawn by one routine onto a Skia canvas (ScottPlot panels through
/// <see cref="Panels.Render"/>, tiles, text) and written twice from it: rasterised to PNG, and through Skia's SVG
/// canvas, where text stays text. A title, when given, is drawn in a strip <see cref="TitleHeight"/> pixels high at
/// the top.
/// </summary>
public sealed class Figure(int width, int height, string title, Action<SKCanvas> draw)
{
    /// <summary>Height of the title strip above the drawing, in pixels.</summary>
    public const int TitleHeight = 34;

    /// <summary>Width in pixels.</summary>
    public int Width { get; } = width;

    /// <summary>Height in pixels, the title strip included.</summary>
    public int Height { get; } = height;

    /// <summary>The figure's title ("" draws none; the strip stays, blank).</summary>
    public string Title { get; } = title;

    /// <summary>The figure rasterised and encoded as PNG.</summary>
    public byte[] Png()
    {
        using var surface = SKSurface.Create(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new ChartException($"cannot make a {Width}×{Height} drawing surface");
        Draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>The figure as an SVG document (UTF-8).</summary>
    public byte[] Svg()
    {
        using var stream = new MemoryStream();
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, Width, Height), stream)) Draw(canvas);
        return stream.ToArray();
    }

    /// <summary>
    /// Writes <c>FOLDER/NAME.png</c> and <c>FOLDER/NAME.svg</c>, each through a temporary file and a rename; creates
    /// the folder if needed.
    /// </summary>
    public ChartFiles Save(string folder, string name)
    {
        Directory.CreateDirectory(folder);
        var files = new ChartFiles(Path.Combine(folder, name + ".png"), Path.Combine(folder, name + ".svg"));
        AtomicFile.WriteAllBytes(files.Png, Png());
        AtomicFile.WriteAllBytes(files.Svg, Svg());
        return files;
    }

    private void Draw(SKCanvas canvas)
    {
        using (var white = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Fill })
            canvas.DrawRect(0, 0, Width, Height, white);
        if (Title != "") Text(canvas, Title, Width / 2f, TitleHeight - 10, 16, SKTextAlign.Center, bold: true);
        draw(canvas);
    }

    /// <summary>Draws one line of text in the chart font, <paramref name="y"/> being its baseline.</summary>
    public static void Text(SKCanvas canvas, string text, float x, float y, float size, SKTextAlign align,
        bool bold = false, SKColor? color = null)
    {
        using var font = new SKFont(ChartFont.Typeface(bold), size);
        using var paint = new SKPaint { Color = color ?? SKColors.Black, IsAntialias = true };
        canvas.DrawText(text, x, y, align, font, paint);
    }
}

using System.Xml.Linq;
using SkiaSharp;

namespace GpuNet.Tests.Charts;

/// <summary>What every chart file must be: a PNG that decodes, an SVG that parses, and text in both.</summary>
internal static class ChartAssert
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>
    /// FOLDER/NAME.png starts with the PNG signature, decodes, and has ink in its title strip (a chart whose font is
    /// missing is drawn without any text, silently); FOLDER/NAME.svg parses as XML with an svg root whose text
    /// elements include each of <paramref name="labels"/>, and has the PNG's size. Returns the decoded PNG.
    /// </summary>
    public static SKBitmap Files(string folder, string name, params string[] labels)
    {
        string png = Path.Combine(folder, name + ".png"), svg = Path.Combine(folder, name + ".svg");
        Assert.True(File.Exists(png), $"{png} was not written");
        Assert.True(File.Exists(svg), $"{svg} was not written");
        var bytes = File.ReadAllBytes(png);
        Assert.Equal(PngSignature, bytes.Take(8).ToArray());
        var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.True(Ink(bitmap, 0, 0, bitmap.Width, GpuNet.Charts.Figure.TitleHeight) > 50,
            $"{png}: no text drawn in the title strip");
        var root = XDocument.Load(svg).Root!;
        Assert.Equal("svg", root.Name.LocalName);
        Assert.Equal(bitmap.Width.ToString(), root.Attribute("width")?.Value);
        Assert.Equal(bitmap.Height.ToString(), root.Attribute("height")?.Value);
        var texts = Texts(svg);
        foreach (var label in labels)
            Assert.True(texts.Contains(label), $"{svg}: no text '{label}' among {string.Join(" | ", texts.Take(40))}");
        Assert.Empty(Directory.GetFiles(folder, name + ".*.tmp-*"));
        return bitmap;
    }

    /// <summary>The strings of an SVG's text elements, trimmed.</summary>
    public static HashSet<string> Texts(string svg) =>
        XDocument.Load(svg).Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim())
            .ToHashSet();

    /// <summary>Where the SVG's text element reading <paramref name="text"/> is (its translate transform).</summary>
    public static (double X, double Y) Position(string svg, string text)
    {
        var element = XDocument.Load(svg).Descendants()
            .Single(e => e.Name.LocalName == "text" && e.Value.Trim() == text);
        var m = System.Text.RegularExpressions.Regex.Match(element.Attribute("transform")?.Value ?? "",
            @"translate\(([-\d.]+)[ ,]+([-\d.]+)\)");
        Assert.True(m.Success, $"{svg}: text '{text}' has no translate transform");
        return (double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>How many pixels of the region (x, y, width, height) are darker than near-white (text, lines).</summary>
    public static int Ink(SKBitmap bitmap, int x, int y, int width, int height)
    {
        int count = 0;
        for (int j = y; j < y + height; j++)
            for (int i = x; i < x + width; i++)
            {
                var p = bitmap.GetPixel(i, j);
                if (p.Red + p.Green + p.Blue < 3 * 200) count++;
            }
        return count;
    }
}

using SkiaSharp;

namespace GpuNet.Charts;

/// <summary>
/// The font of every chart, chosen by name from the fonts installed: DejaVu Sans (Debian's fonts-dejavu-core), else
/// another common sans-serif. Left to itself ScottPlot takes the first family it finds, which on Debian is DejaVu
/// Serif; and with no font installed SkiaSharp draws no text at all, silently, so that is an error here instead.
/// </summary>
public static class ChartFont
{
    private static readonly string[] Preferred = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica"];
    private static readonly Lazy<string> Resolved = new(Resolve);

    /// <summary>The family name the charts use (e.g. "DejaVu Sans").</summary>
    public static string Family => Resolved.Value;

    /// <summary>The chart font's typeface, regular or bold.</summary>
    public static SKTypeface Typeface(bool bold = false) =>
        SKTypeface.FromFamilyName(Family, bold ? SKFontStyle.Bold : SKFontStyle.Normal);

    private static string Resolve()
    {
        // with no font files Skia's font manager still lists one family: an empty one without a name or glyphs
        var installed = SKFontManager.Default.FontFamilies.Where(f => !string.IsNullOrWhiteSpace(f))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        string family = Preferred.FirstOrDefault(installed.Contains)
            ?? installed.Where(f => f.Contains("Sans", StringComparison.OrdinalIgnoreCase)).Order().FirstOrDefault()
            ?? installed.Order().FirstOrDefault()
            ?? throw new ChartException("no font is installed for the charts' text (SkiaSharp found none under " +
                "/usr/share/fonts); install one, e.g. `apt-get install fonts-dejavu-core`");
        ScottPlot.Fonts.Default = family;
        return family;
    }
}

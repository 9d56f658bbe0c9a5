using ScottPlot;
using SkiaSharp;

namespace GpuNet.Charts;

/// <summary>ScottPlot panels in one style (one font, one palette), each drawn into part of a figure.</summary>
public static class Panels
{
    /// <summary>Train, validation, and further series: blue, red, green, orange, purple, grey.</summary>
    public static readonly Color[] Palette =
    [
        Color.FromHex("#1f77b4"), Color.FromHex("#d62728"), Color.FromHex("#2ca02c"),
        Color.FromHex("#ff7f0e"), Color.FromHex("#9467bd"), Color.FromHex("#7f7f7f"),
    ];

    /// <summary>
    /// A new plot titled <paramref name="title"/> with axis labels <paramref name="x"/> and <paramref name="y"/>.
    /// </summary>
    public static Plot Create(string title, string x, string y)
    {
        _ = ChartFont.Family;   // sets ScottPlot's default font, which every plottable takes when it is made
        var plot = new Plot();
        plot.Title(title, size: 15);
        plot.XLabel(x, size: 13);
        plot.YLabel(y, size: 13);
        return plot;
    }

    /// <summary>Renders <paramref name="plot"/> into the rectangle (left, top, width, height) of the canvas.</summary>
    public static void Render(Plot plot, SKCanvas canvas, float left, float top, float width, float height)
    {
        plot.Font.Set(ChartFont.Family);
        canvas.Save();
        canvas.ClipRect(new SKRect(left, top, left + width, top + height));   // ScottPlot clears all it may draw on
        plot.Render(canvas, new PixelRect(left, left + width, top + height, top));
        canvas.Restore();
    }

    /// <summary>
    /// Sets the vertical range around <paramref name="values"/> when they are all one value (ScottPlot would show −1
    /// to 1 around it): ±50% of the value, or ±1 around zero.
    /// </summary>
    public static void SpreadFlatY(Plot plot, IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).Distinct().ToList();
        if (finite.Count != 1) return;
        double v = finite[0], d = v == 0 ? 1 : Math.Abs(v) / 2;
        plot.Axes.SetLimitsY(v - d, v + d);
    }
}

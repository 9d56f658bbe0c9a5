using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace GpuNet.Charts;

/// <summary>
/// A confusion matrix as a heat map: rows are the true classes (first at the top), columns the predicted ones, each
/// cell coloured by its share of the true class's images (so rare classes read as clearly as common ones) and, up to
/// <see cref="MaxAnnotatedClasses"/> classes, labelled with its count. Class names label the axes up to
/// <see cref="MaxNamedClasses"/> classes.
/// </summary>
public static class ConfusionChart
{
    /// <summary>Above this many classes the cells carry no counts.</summary>
    public const int MaxAnnotatedClasses = 30;

    /// <summary>Above this many classes the axes show class indices instead of names.</summary>
    public const int MaxNamedClasses = 60;

    /// <summary>The figure for <paramref name="confusion"/> (true, predicted) of <paramref name="classes"/>.</summary>
    public static Figure Create(int[,] confusion, IReadOnlyList<string> classes, string title)
    {
        int n = classes.Count;
        if (confusion.GetLength(0) != n || confusion.GetLength(1) != n)
            throw new ChartException($"confusion matrix is {confusion.GetLength(0)}×{confusion.GetLength(1)}, " +
                $"expected {n}×{n} for {n} classes");
        var plot = Panels.Create("", "predicted class", "true class");
        var share = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            double total = Enumerable.Range(0, n).Sum(j => (double)confusion[i, j]);
            for (int j = 0; j < n; j++) share[i, j] = total > 0 ? confusion[i, j] / total : 0;
        }
        var map = plot.Add.Heatmap(share);
        map.Colormap = new ScottPlot.Colormaps.Blues().Reversed();   // white for none, dark blue for all
        map.ManualRange = new ScottPlot.Range(0, 1);
        map.Rectangle = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);   // cell (i, j) centred on (j, n − 1 − i)
        var bar = plot.Add.ColorBar(map);
        bar.Label = "share of the true class";
        bar.LabelStyle.FontSize = 13;
        bar.LabelStyle.Bold = false;
        bar.LabelStyle.FontName = ChartFont.Family;
        bar.Axis.TickGenerator = new NumericManual(
            [0, 0.2, 0.4, 0.6, 0.8, 1], ["0", "20%", "40%", "60%", "80%", "100%"]);
        if (n <= MaxAnnotatedClasses) Annotate(plot, confusion, share);
        Ticks(plot, classes);
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);

        int cell = Math.Clamp(640 / n, 1, 56), side = Math.Max(cell * n, 320);
        int longest = n <= MaxNamedClasses ? classes.Max(c => c.Length) : 4;
        int labels = 60 + Math.Min(longest, 24) * 7;   // room for the class names left of and below the cells
        int width = side + labels + 130, height = side + labels + 30;
        return new Figure(width, Figure.TitleHeight + height, title,
            canvas => Panels.Render(plot, canvas, 0, Figure.TitleHeight, width, height));
    }

    /// <summary>Writes FOLDER/NAME.png and FOLDER/NAME.svg (see <see cref="Create"/>).</summary>
    public static ChartFiles Write(string folder, string name, int[,] confusion, IReadOnlyList<string> classes,
        string title) => Create(confusion, classes, title).Save(folder, name);

    // each cell's count (none in empty cells off the diagonal), white on dark cells
    private static void Annotate(Plot plot, int[,] confusion, double[,] share)
    {
        int n = share.GetLength(0);
        float size = n <= 12 ? 13 : n <= 20 ? 10 : 8;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                if (i != j && confusion[i, j] == 0) continue;
                var text = plot.Add.Text(confusion[i, j].ToString(CultureInfo.InvariantCulture), j, n - 1 - i);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = size;
                text.LabelFontName = ChartFont.Family;
                text.LabelFontColor = share[i, j] > 0.5 ? Colors.White : Colors.Black;
            }
    }

    // class names along both axes, or past MaxNamedClasses every step-th class index
    private static void Ticks(Plot plot, IReadOnlyList<string> classes)
    {
        int n = classes.Count, step = n <= MaxNamedClasses ? 1 : NiceStep(n / 10.0);
        var x = new NumericManual();
        var y = new NumericManual();
        for (int k = 0; k < n; k += step)
        {
            string label = step == 1 ? classes[k] : k.ToString(CultureInfo.InvariantCulture);
            x.AddMajor(k, label);
            y.AddMajor(n - 1 - k, label);
        }
        plot.Axes.Bottom.TickGenerator = x;
        plot.Axes.Left.TickGenerator = y;
        if (step == 1 && classes.Any(c => c.Length > 3))
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -45;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperRight;
            plot.Axes.Bottom.MinimumSize = 30 + 6 * Math.Min(24, classes.Max(c => c.Length));
        }
    }

    // 1, 2 or 5 times a power of ten, at least raw
    private static int NiceStep(double raw)
    {
        double p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        return (int)(raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p);
    }
}

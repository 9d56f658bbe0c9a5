using System.Globalization;
using GpuNet.Training;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace GpuNet.Charts;

/// <summary>
/// A run's training curves, three panels side by side: loss and accuracy per epoch (train and validation) and the
/// learning rate each epoch ran at (on a log scale once it spans a factor of ten or more).
/// </summary>
public static class TrainingCurves
{
    private const int PanelWidth = 420, PanelHeight = 360;

    /// <summary>The figure of the epochs <paramref name="rows"/> (runs without validation show train only).</summary>
    public static Figure Create(IReadOnlyList<EpochMetrics> rows, string title)
    {
        var panels = new[] { Loss(rows), Accuracy(rows), LearningRate(rows) };
        int first = rows.Count == 0 ? 1 : rows.Min(r => r.Epoch), last = rows.Count == 0 ? 1 : rows.Max(r => r.Epoch);
        foreach (var p in panels)
        {
            p.Axes.Bottom.TickGenerator = new NumericAutomatic { IntegerTicksOnly = true };
            p.Axes.SetLimitsX(first - 0.5, last + 0.5);
            Panels.SpreadFlatY(p, p.GetPlottables().OfType<ScottPlot.Plottables.Scatter>()
                .SelectMany(s => s.Data.GetScatterPoints()).Select(c => c.Y));
        }
        return new Figure(PanelWidth * panels.Length, Figure.TitleHeight + PanelHeight, title, canvas =>
        {
            for (int i = 0; i < panels.Length; i++)
                Panels.Render(panels[i], canvas, i * PanelWidth, Figure.TitleHeight, PanelWidth, PanelHeight);
        });
    }

    /// <summary>The title of a run of <paramref name="model"/> on the image folder <paramref name="data"/>.</summary>
    public static string Title(string model, string data) =>
        $"{model} on {Path.GetFileName(Path.GetFullPath(data).TrimEnd('/'))}";

    /// <summary>Writes FOLDER/NAME.png and FOLDER/NAME.svg (see <see cref="Create"/>).</summary>
    public static ChartFiles Write(string folder, string name, IReadOnlyList<EpochMetrics> rows, string title) =>
        Create(rows, title).Save(folder, name);

    private static Plot Loss(IReadOnlyList<EpochMetrics> rows)
    {
        var plot = Panels.Create("loss", "epoch", "loss");
        Series(plot, rows, r => r.TrainLoss, "train", Panels.Palette[0]);
        Series(plot, rows, r => r.ValidationLoss, "validation", Panels.Palette[1]);
        plot.Legend.Alignment = Alignment.UpperRight;
        return plot;
    }

    private static Plot Accuracy(IReadOnlyList<EpochMetrics> rows)
    {
        var plot = Panels.Create("accuracy", "epoch", "accuracy (%)");
        Series(plot, rows, r => 100 * r.TrainAccuracy, "train", Panels.Palette[0]);
        Series(plot, rows, r => 100 * r.ValidationAccuracy, "validation", Panels.Palette[1]);
        plot.Legend.Alignment = Alignment.LowerRight;
        return plot;
    }

    private static Plot LearningRate(IReadOnlyList<EpochMetrics> rows)
    {
        var plot = Panels.Create("learning rate", "epoch", "learning rate");
        var rates = rows.Select(r => (double)r.LearningRate).Where(v => v > 0 && double.IsFinite(v)).ToList();
        bool log = rates.Count > 0 && rates.Max() / rates.Min() > 9.99;   // ten, give or take float32 rounding
        if (log)
        {
            // ScottPlot has no log axis: plot log10 of the rate and label the ticks with the rate itself
            Series(plot, rows, r => r.LearningRate > 0 ? Math.Log10(r.LearningRate) : double.NaN, null,
                Panels.Palette[2]);
            plot.Axes.Left.TickGenerator = new NumericAutomatic
            {
                IntegerTicksOnly = true,
                LabelFormatter = v => Math.Pow(10, v).ToString("G3", CultureInfo.InvariantCulture),
                MinorTickGenerator = new LogMinorTickGenerator(),
            };
            plot.YLabel("learning rate (log scale)", size: 13);
        }
        else
        {
            Series(plot, rows, r => r.LearningRate, null, Panels.Palette[2]);
            plot.Axes.Left.TickGenerator = new NumericAutomatic
            {
                LabelFormatter = v => v.ToString("G3", CultureInfo.InvariantCulture),
            };
        }
        return plot;
    }

    // one line with a marker per epoch; epochs where the value is missing (NaN) are left out
    private static void Series(Plot plot, IReadOnlyList<EpochMetrics> rows, Func<EpochMetrics, double> value,
        string? label, Color color)
    {
        var points = rows.Select(r => (X: (double)r.Epoch, Y: value(r))).Where(p => double.IsFinite(p.Y)).ToArray();
        if (points.Length == 0) return;
        var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray(), color);
        line.LineWidth = 2;
        line.MarkerSize = 6;
        if (label is not null) line.LegendText = label;
    }
}

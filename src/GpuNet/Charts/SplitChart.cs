using System.Globalization;
using GpuNet.Models;
using ScottPlot;
using ScottPlot.TickGenerators;

namespace GpuNet.Charts;

/// <summary>
/// The split experiment (<see cref="SplitExperiment"/>) in two panels: milliseconds per training step stacked by phase
/// (forward, backward, update) for the single-device and the split run, with the split's copies as a grey bar beside
/// it; and the peak memory of each device against the 3 GiB of the 2012 network's GTX 580.
/// </summary>
public static class SplitChart
{
    private const int PanelWidth = 500, PanelHeight = 380;

    /// <summary>The figure comparing <paramref name="single"/> and <paramref name="split"/>.</summary>
    public static Figure Create(SplitRun single, SplitRun split, string title)
    {
        var time = StepTime(single, split);
        var memory = Memory(single, split);
        return new Figure(2 * PanelWidth, Figure.TitleHeight + PanelHeight, title, canvas =>
        {
            Panels.Render(time, canvas, 0, Figure.TitleHeight, PanelWidth, PanelHeight);
            Panels.Render(memory, canvas, PanelWidth, Figure.TitleHeight, PanelWidth, PanelHeight);
        });
    }

    /// <summary>Writes FOLDER/NAME.png and FOLDER/NAME.svg (see <see cref="Create"/>).</summary>
    public static ChartFiles Write(string folder, string name, SplitRun single, SplitRun split, string title) =>
        Create(single, split, title).Save(folder, name);

    private static Plot StepTime(SplitRun single, SplitRun split)
    {
        var plot = Panels.Create("time per training step", "", "ms per step");
        string[] phases = ["forward", "backward", "update"];
        var runs = new[] { single, split };
        var bars = new List<Bar>();
        for (int r = 0; r < runs.Length; r++)
        {
            double[] ms = [runs[r].ForwardMs, runs[r].BackwardMs, runs[r].UpdateMs];
            double bottom = 0;
            for (int k = 0; k < ms.Length; k++)
            {
                bars.Add(new Bar
                {
                    Position = r, ValueBase = bottom, Value = bottom + ms[k], Size = 0.55,
                    FillColor = Panels.Palette[k],
                });
                bottom += ms[k];
            }
            var total = plot.Add.Text($"{runs[r].StepMs:F1} ms", r, bottom);
            total.Alignment = Alignment.LowerCenter;
            total.LabelFontSize = 12;
            if (runs[r].CopyMs > 0)
            {
                // the copies are part of the step (inside forward and backward): drawn beside it, not stacked on it
                bars.Add(new Bar
                {
                    Position = r + 0.45, Value = runs[r].CopyMs, FillColor = Panels.Palette[5],
                    Size = 0.15
                });
                var copies = plot.Add.Text($"{runs[r].CopyMs:F1} ms\n{100 * runs[r].CopyShare:F1}% of step", r + 0.375,
                    runs[r].CopyMs);
                copies.Alignment = Alignment.LowerLeft;
                copies.LabelFontSize = 11;
                copies.LabelFontColor = Panels.Palette[5];
            }
        }
        plot.Add.Bars(bars);
        for (int k = 0; k < phases.Length; k++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = phases[k], FillColor = Panels.Palette[k] });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "copies", FillColor = Panels.Palette[5] });
        plot.Legend.Alignment = Alignment.UpperCenter;   // one row above the bars
        plot.Legend.Orientation = Orientation.Horizontal;
        plot.Axes.Bottom.TickGenerator =
            new NumericManual([0, 1], [$"single\n{single.Devices}", $"split\n{split.Devices}"]);
        double top = Math.Max(single.StepMs, split.StepMs);
        plot.Axes.SetLimits(-0.6, 1.9, 0, top * 1.35 + 1e-9);
        return plot;
    }

    private static Plot Memory(SplitRun single, SplitRun split)
    {
        var plot = Panels.Create("peak memory per device", "MiB", "");
        var rows = new (string Label, long Bytes)[]
        {
            ($"single: {single.Devices}", single.PeakBytes[0]),
            ("split: device 0", split.PeakBytes[0]),
            ("split: device 1", split.PeakBytes.Length > 1 ? split.PeakBytes[1] : 0),
        };
        const double MiB = 1 << 20;
        var bars = rows.Select((r, i) => new Bar
        {
            Position = rows.Length - 1 - i, Value = r.Bytes / MiB, FillColor = Panels.Palette[4], Size = 0.6,
            Label = (r.Bytes / MiB).ToString("F1", CultureInfo.InvariantCulture) + " MiB",
        }).ToList();
        var plotted = plot.Add.Bars(bars);
        plotted.Horizontal = true;
        plotted.ValueLabelStyle.FontSize = 12;
        plot.Axes.Left.TickGenerator = new NumericManual(
            rows.Select((_, i) => (double)(rows.Length - 1 - i)).ToArray(), rows.Select(r => r.Label).ToArray());
        double gtx = SplitExperiment.Gtx580Bytes / MiB;
        plot.Add.VerticalLine(gtx, 2, Panels.Palette[1], LinePattern.Dashed);
        var limit = plot.Add.Text("3 GiB (GTX 580)", gtx, rows.Length - 0.45);
        limit.Alignment = Alignment.UpperRight;
        limit.LabelFontColor = Panels.Palette[1];
        limit.LabelFontSize = 12;
        limit.OffsetX = -4;
        double right = Math.Max(gtx, rows.Max(r => r.Bytes) / MiB) * 1.25;
        plot.Axes.SetLimits(0, right, -0.6, rows.Length - 0.4);
        return plot;
    }
}

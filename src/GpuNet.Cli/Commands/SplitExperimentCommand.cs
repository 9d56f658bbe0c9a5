using System.CommandLine;
using System.Text.Json;
using GpuNet.Charts;
using GpuNet.Models;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class SplitExperimentCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = "alexnet or alexnet-small",
            DefaultValueFactory = _ => "alexnet-small"
        };
        var devices = new Option<string>("--devices")
        {
            Description =
            "The device pair, e.g. cpu,cpu (half the cores each), cuda:0,cuda:1, cuda:0,cuda:0 (one GPU, two " +
            "streams) or ilgpu-cpu,ilgpu-cpu; single-device runs on the first", DefaultValueFactory = _ => "cpu,cpu"
        };
        var batch = new Option<int>("--batch", "-b")
        {
            Description = "Images per step (synthetic data)",
            DefaultValueFactory = _ => 32
        };
        var steps = new Option<int>("--steps")
        {
            Description = "Timed training steps after one warm-up step",
            DefaultValueFactory = _ => 5
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder for split-experiment.csv and the chart (split-experiment.png and .svg)",
            DefaultValueFactory = _ => Path.Combine("runs", "split-experiment"),
        };
        var json = new Option<bool>("--json") { Description = "Print the figures as JSON" };
        var cmd = new Command("split-experiment",
            "Train AlexNet for a few steps on one device and split across two (the 2012 two-GPU way); compare time " +
            "per phase, " +
            "peak memory per device, bytes crossing devices and the copies' share of the step; writes a CSV and a " +
            "chart (PNG and SVG)")
        { model, devices, batch, steps, output, json };
        cmd.SetGuardedAction(r =>
        {
            bool asJson = r.GetValue(json);
            var (single, split) =
                SplitExperiment.Run(r.GetValue(model)!, r.GetValue(devices)!, r.GetValue(batch), r.GetValue(steps),
                asJson ? null : msg => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(msg)}[/]"));
            string dir = r.GetValue(output)!;
            Directory.CreateDirectory(dir);
            AtomicFile.WriteAllText(Path.Combine(dir, "split-experiment.csv"), SplitExperiment.Csv(single, split));
            string title =
                $"{ModelZoo.Canonical(r.GetValue(model)!)}, batch {r.GetValue(batch)}: single {single.Devices} vs " +
                $"split {split.Devices}";
            var chart = SplitChart.Write(dir, "split-experiment", single, split, title);
            double speedup = single.StepMs / split.StepMs;
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { single, split, speedup },
                    new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            string MiB(long b) => $"{b / 1048576.0:F1} MiB";
            var t = new Table().Border(TableBorder.Simple).Title(Markup.Escape(title));
            foreach (var c in new[] { "", "forward ms", "backward ms", "update ms", "step ms", "copies ms",
                "copy share", "peak device 0", "peak device 1", "bytes crossing / step", "analytic" })
                t.AddColumn(new TableColumn(c).RightAligned());
            foreach (var x in new[] { single, split })
                t.AddRow(x.Layout, $"{x.ForwardMs:F1}", $"{x.BackwardMs:F1}", $"{x.UpdateMs:F1}", $"{x.StepMs:F1}",
                    x == single ? "-" : $"{x.CopyMs:F1}",
                    x == single ? "-" : $"{x.CopyShare:P1}", MiB(x.PeakBytes[0]),
                    x.PeakBytes.Length > 1 ? MiB(x.PeakBytes[1]) : "-", x.BytesPerStep.ToString("N0"),
                        x.AnalyticBytesPerStep.ToString("N0"));
            AnsiConsole.Write(t);
            Console.WriteLine(
                $"speed-up of the split: {speedup:F2}x; bytes crossing devices per step {split.BytesPerStep:N0} " +
                $"(analytic {split.AnalyticBytesPerStep:N0})");
            double slower = split.StepMs - single.StepMs;
            Console.WriteLine(
                $"communication: {split.CopyMs:F1} ms of copies per step, {split.CopyShare:P1} of the split step " +
                "(the larger of the two towers); " +
                (slower <= 0 ? $"the split step is {-slower:F1} ms faster than single-device"
                    : $"the split step is {slower:F1} ms slower than single-device, " +
                        $"{(slower > split.CopyMs ? "more than the copies explain" : "within the copy time")}"));
            long limit = SplitExperiment.Gtx580Bytes;
            Console.WriteLine(
                "peak memory per device against a 3 GiB GTX 580: single " +
                $"{MiB(single.PeakBytes[0])}{(single.PeakBytes[0] > limit ? " (over)" : "")}, " +
                $"split {MiB(split.PeakBytes[0])} + " +
                $"{MiB(split.PeakBytes[1])}{(split.PeakBytes.Max() > limit ? " (over)" : " (fits)")}");
            Console.WriteLine($"wrote {Path.Combine(dir, "split-experiment.csv")}, {chart.Png} and {chart.Svg}");
            return 0;
        });
        return cmd;
    }
}

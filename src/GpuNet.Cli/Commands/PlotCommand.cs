using System.CommandLine;
using GpuNet.Charts;
using GpuNet.Data;
using GpuNet.Training;

namespace GpuNet.Cli.Commands;

internal static class PlotCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run", "-r")
        {
            Description = "Run folder written by `gpunet train` (reads its metrics.csv and, if there, best.ckpt)",
            Required = true,
        };
        var cmd = new Command("plot",
            "Redraw a run's charts in its folder, each as PNG and SVG: the training curves (curves.png: loss, " +
            "accuracy and learning rate per epoch) from metrics.csv, and the first convolution's kernels " +
            "(filters.png) from best.ckpt when the run has one")
        { run };
        cmd.SetGuardedAction(r =>
        {
            string dir = r.GetValue(run)!, csv = Path.Combine(dir, Trainer.MetricsFile);
            if (!Directory.Exists(dir)) throw new DataException($"{dir}: run folder does not exist");
            var rows = Metrics.ReadCsv(csv);
            if (rows.Count == 0) throw new DataException($"{csv}: no epochs recorded (missing or empty metrics file)");
            // best.ckpt gives the filters and the title the run had ("lenet5 on mnist"); without it, the folder's name
            string best = Path.Combine(dir, Trainer.BestCheckpoint);
            var checkpoint = File.Exists(best) ? Checkpoint.Read(best) : null;
            string title = checkpoint?.Metadata.ContainsKey("options") == true
                ? Title(checkpoint.GetJson<TrainOptions>("options"))
                : Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'));
            var curves = TrainingCurves.Write(dir, Trainer.CurvesChart, rows, title);
            string epochs = rows.Count == 1 ? "1 epoch" : $"{rows.Count} epochs";
            Console.WriteLine($"wrote {curves.Png} and {curves.Svg} ({epochs})");
            if (checkpoint is not null)
            {
                var filters = FilterGrid.Write(dir, FiltersCommand.Chart, checkpoint);
                Console.WriteLine($"wrote {filters.Png} and {filters.Svg}");
            }
            return 0;
        });
        return cmd;
    }

    private static string Title(TrainOptions o) => TrainingCurves.Title(o.Model, o.Data);
}

using System.CommandLine;
using GpuNet.Data;
using GpuNet.Training;

namespace GpuNet.Cli.Commands;

internal static class PlotCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run", "-r") { Description = "Run folder written by `gpunet train` (reads its metrics.csv)", Required = true };
        var cmd = new Command("plot", "Redraw a run's loss/accuracy chart (RUN/plot.svg) from its metrics.csv") { run };
        cmd.SetGuardedAction(r =>
        {
            string dir = r.GetValue(run)!, csv = Path.Combine(dir, Trainer.MetricsFile);
            var rows = Metrics.ReadCsv(csv);
            if (rows.Count == 0) throw new DataException($"{csv}: no epochs recorded (missing or empty metrics file)");
            string svg = Path.Combine(dir, Trainer.PlotFile);
            AtomicFile.WriteAllText(svg, Metrics.Svg(rows, Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/'))));
            Console.WriteLine($"wrote {svg} ({rows.Count} epochs)");
            return 0;
        });
        return cmd;
    }
}

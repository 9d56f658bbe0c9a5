using System.CommandLine;
using GpuNet.Data;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class ImportIdxCommand
{
    public static Command Create()
    {
        var images = new Option<string>("--images")
        {
            Description = "IDX image file (e.g. train-images-idx3-ubyte)",
            Required = true
        };
        var labels = new Option<string>("--labels")
        {
            Description = "IDX label file (e.g. train-labels-idx1-ubyte)",
            Required = true
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder to create: OUT/<label>/<index>.png",
            Required = true
        };
        var expect =
            new Option<int?>("--expect") { Description = "Fail unless the files hold exactly this many images" };
        var cmd = new Command("import-idx",
            "Convert MNIST-style IDX files into an image folder of grayscale PNGs") { images, labels, output, expect };
        cmd.SetGuardedAction(r =>
        {
            string imgPath = r.GetValue(images)!, labPath = r.GetValue(labels)!, outDir = r.GetValue(output)!;
            var (count, rows, cols, pixels) = Idx.ReadImages(imgPath);
            var labs = Idx.ReadLabels(labPath);
            if (labs.Length != count)
                throw new DataException($"{labPath}: {labs.Length} labels for the {count} images of {imgPath}");
            if (r.GetValue(expect) is int e && e != count)
                throw new DataException($"{imgPath}: holds {count} images, expected {e}");
            Common.WriteFolder(outDir, tmp =>
            {
                foreach (var l in labs.Distinct()) Directory.CreateDirectory(Path.Combine(tmp, l.ToString()));
                int done = 0;
                AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(),
                    new PercentageColumn(), new RemainingTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"writing {count} PNGs", maxValue: count);
                        Parallel.For(0, count, i =>
                        {
                            var png = ImageWriter.Png(cols, rows, 1, pixels.AsSpan(i * rows * cols, rows * cols));
                            File.WriteAllBytes(Path.Combine(tmp, labs[i].ToString(), $"{i:D5}.png"), png);
                            int d = Interlocked.Increment(ref done);
                            if (d % 1000 == 0) lock (task) task.Value = d;
                        });
                        task.Value = count;
                    });
            });
            Console.WriteLine(
                $"wrote {count} images of {cols}x{rows} in {labs.Distinct().Count()} classes to {outDir}");
            return 0;
        });
        return cmd;
    }
}

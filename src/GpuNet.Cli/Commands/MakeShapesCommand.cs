using System.CommandLine;
using GpuNet.Data;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class MakeShapesCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder to create: OUT/train/<class>/*.jpg and OUT/test/<class>/*.jpg", Required = true };
        var perClass = new Option<int>("--per-class") { Description = "Training images per class", DefaultValueFactory = _ => 300 };
        var testPerClass = new Option<int>("--test-per-class") { Description = "Test images per class", DefaultValueFactory = _ => 50 };
        var size = new Option<int>("--size") { Description = "Shorter side of the images in pixels (the longer is up to 1.35x)", DefaultValueFactory = _ => 96 };
        var seed = new Option<ulong>("--seed") { Description = "Seed: the same seed writes the same images", DefaultValueFactory = _ => 1 };
        var cmd = new Command("make-shapes",
            "Render a synthetic RGB JPEG image folder: ten classes of shapes (circle, cross, diamond, ...) in random colours, sizes and " +
            "rotations on textured backgrounds, for trying the image pipeline and AlexNet where no photo data set is at hand (needs libturbojpeg0)")
        { output, perClass, testPerClass, size, seed };
        cmd.SetGuardedAction(r =>
        {
            string outDir = r.GetValue(output)!;
            if (TurboJpeg.Unavailable is { } why) throw new DataException(why);
            if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
                throw new DataException($"{outDir}: already exists and is not empty; remove it first");
            // written into a temporary sibling folder, then renamed: an interrupted run leaves no half folder behind
            string tmp = outDir.TrimEnd('/') + $".tmp-{Environment.ProcessId}";
            if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
            int count = 0;
            AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    count = SyntheticShapes.Write(tmp, r.GetValue(perClass), r.GetValue(testPerClass), r.GetValue(size), r.GetValue(seed), (d, t) =>
                    {
                        lock (ctx) { task ??= ctx.AddTask($"rendering {t} JPEGs", maxValue: t); task.Value = d; }
                    });
                });
            if (Directory.Exists(outDir)) Directory.Delete(outDir);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outDir))!);
            Directory.Move(tmp, outDir);
            Console.WriteLine($"wrote {count} JPEG images in {SyntheticShapes.Classes.Length} classes to {outDir} (train/ and test/)");
            return 0;
        });
        return cmd;
    }
}

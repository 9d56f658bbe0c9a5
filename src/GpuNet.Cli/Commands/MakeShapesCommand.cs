using System.CommandLine;
using GpuNet.Data;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class MakeShapesCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder to create: OUT/train/<class>/*.jpg and OUT/test/<class>/*.jpg",
            Required = true
        };
        var perClass = new Option<int>("--per-class")
        {
            Description = "Training images per class",
            DefaultValueFactory = _ => 300
        };
        var testPerClass = new Option<int>("--test-per-class")
        {
            Description = "Test images per class",
            DefaultValueFactory = _ => 50
        };
        var size = new Option<int>("--size")
        {
            Description = "Shorter side of the images in pixels (the longer is up to 1.35x)",
            DefaultValueFactory = _ => 96
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed: the same seed writes the same images",
            DefaultValueFactory = _ => 1
        };
        var cmd = new Command("make-shapes",
            "Render a synthetic RGB JPEG image folder: ten classes of shapes (circle, cross, diamond, ...) in random " +
            "colours, sizes and " +
            "rotations on textured backgrounds, for trying the image pipeline and AlexNet where no photo data set is " +
            "at hand (needs libturbojpeg0)")
        { output, perClass, testPerClass, size, seed };
        cmd.SetGuardedAction(r =>
        {
            string outDir = r.GetValue(output)!;
            if (TurboJpeg.Unavailable is { } why) throw new DataException(why);
            int count = 0;
            Common.WriteFolder(outDir, tmp => AnsiConsole.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn())
                .Start(ctx =>
                {
                    ProgressTask? task = null;
                    count = SyntheticShapes.Write(tmp, r.GetValue(perClass), r.GetValue(testPerClass), r.GetValue(size),
                        r.GetValue(seed), (d, t) =>
                    {
                        lock (ctx) { task ??= ctx.AddTask($"rendering {t} JPEGs", maxValue: t); task.Value = d; }
                    });
                }));
            Console.WriteLine(
                $"wrote {count} JPEG images in {SyntheticShapes.Classes.Length} classes to {outDir} (train/ and " +
                "test/)");
            return 0;
        });
        return cmd;
    }
}

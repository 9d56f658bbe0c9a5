using System.CommandLine;
using System.Text.Json;
using GpuNet.Charts;
using GpuNet.Data;
using GpuNet.Runtime;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class EvaluateCommand
{
    /// <summary>The confusion matrix chart's name: FOLDER/confusion.png and FOLDER/confusion.svg.</summary>
    public const string ConfusionFile = "confusion";

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint",
            "-c")
        { Description = "Checkpoint written by `gpunet train` (e.g. RUN/best.ckpt)", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "Image folder to evaluate, one sub-folder per class (e.g. DIR/test)",
            Required = true
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object (accuracy, top5, loss, count, classes, confusion) instead of tables"
        };
        var strict =
            new Option<bool>("--strict") { Description = "Stop at the first unreadable image instead of skipping it" };
        var tenCrop = new Option<bool>("--ten-crop")
        {
            Description = "Average the softmax over ten crops (corners, centre, mirrored), as in the AlexNet paper"
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Threads decoding images (0: one per core)",
            DefaultValueFactory = _ => 0
        };
        var maxPixels = new Option<long>("--max-pixels")
        {
            Description = "Refuse images larger than this many pixels",
            DefaultValueFactory = _ => ImageDecoder.DefaultMaxPixels
        };
        var device = Common.Device();
        var devices = new Option<string?>("--devices")
        {
            Description =
            "Two devices A,B: evaluate AlexNet split into two towers (the checkpoint may come from either kind of run)"
        };
        var batch = Common.Batch(256);
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Folder for the confusion matrix chart, confusion.png and confusion.svg (default: the " +
                "checkpoint's folder)",
        };
        var cmd = new Command("evaluate",
            "Accuracy, top-5 accuracy and the confusion matrix of a checkpoint on an image folder; the confusion " +
            "matrix is also drawn as a heat map with the class names (confusion.png and confusion.svg)")
        { checkpoint, data, json, strict, tenCrop, workers, maxPixels, device, devices, batch, output };
        cmd.SetGuardedAction(r =>
        {
            ImageFolder.FindClasses(r.GetValue(data)!);   // a bad folder fails before the checkpoint loads
            using var pair = Common.OpenDevices(r.GetValue(device)!, r.GetValue(devices));
            using var tm = TrainedModel.Open(r.GetValue(checkpoint)!, pair.First, pair.Second);
            var files = ImageFolder.List(r.GetValue(data)!, tm.Classes);
            var bad = new BadFiles(r.GetValue(strict));
            var store = new ImageStore(files, bad, r.GetValue(maxPixels));
            var loader = new BatchLoader(store, tm.EvaluationTransform(r.GetValue(tenCrop)), r.GetValue(batch),
                r.GetValue(workers));
            var res = Evaluator.Evaluate(tm.Network, loader, Enumerable.Range(0, files.Count).ToArray(),
                views: r.GetValue(tenCrop) ? TenCrop.Views : 1);
            var skipped = bad.Messages;
            foreach (var s in skipped.Take(5)) Console.Error.WriteLine($"warning: skipped {s}");
            if (skipped.Count > 5) Console.Error.WriteLine($"warning: skipped {skipped.Count} images in all");
            string chartDir = r.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(r.GetValue(checkpoint)!))!;
            string folder = Path.GetFileName(Path.GetFullPath(r.GetValue(data)!).TrimEnd('/'));
            string title = $"{tm.Network.Name} on {folder}{(r.GetValue(tenCrop) ? " (ten crops)" : "")}: " +
                $"accuracy {Common.Percent(res.Accuracy)}";
            if (r.GetValue(json))
            {
                var confusion = Enumerable.Range(0, res.Classes.Length)
                    .Select(i => Enumerable.Range(0, res.Classes.Length).Select(j => res.Confusion[i, j]).ToArray())
                        .ToArray();
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    accuracy = res.Accuracy, top5 = res.Top5,
                    count = res.Count, skipped = skipped.Count, classes = res.Classes, confusion
                }));
                ConfusionChart.Write(chartDir, ConfusionFile, res.Confusion, res.Classes, title);
                return 0;
            }
            AnsiConsole.MarkupLine(
                $"images: {res.Count}{(skipped.Count > 0 ? $" ([yellow]{skipped.Count} skipped[/])" : "")}");
            AnsiConsole.MarkupLine($"accuracy: [bold]{Common.Percent(res.Accuracy)}[/]");
            AnsiConsole.MarkupLine($"top-5 accuracy: {Common.Percent(res.Top5)}");
            if (res.Classes.Length <= 30) AnsiConsole.Write(Common.Confusion(res));
            else AnsiConsole.MarkupLine($"[grey]{res.Classes.Length} classes: use --json for the confusion matrix[/]");
            var chart = ConfusionChart.Write(chartDir, ConfusionFile, res.Confusion, res.Classes, title);
            Console.WriteLine($"wrote {chart.Png} and {chart.Svg}");
            return 0;
        });
        return cmd;
    }
}

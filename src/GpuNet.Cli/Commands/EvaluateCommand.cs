using System.CommandLine;
using System.Text.Json;
using GpuNet.Data;
using GpuNet.Runtime;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c") { Description = "Checkpoint written by `gpunet train` (e.g. RUN/best.ckpt)", Required = true };
        var data = new Option<string>("--data") { Description = "Image folder to evaluate, one sub-folder per class (e.g. DIR/test)", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object (accuracy, top5, loss, count, classes, confusion) instead of tables" };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first unreadable image instead of skipping it" };
        var device = Common.Device();
        var batch = Common.Batch(256);
        var cmd = new Command("evaluate", "Accuracy, top-5 accuracy and the confusion matrix of a checkpoint on an image folder")
        { checkpoint, data, json, strict, device, batch };
        cmd.SetGuardedAction(r =>
        {
            using var acc = Devices.Open(r.GetValue(device)!);
            using var tm = TrainedModel.Open(r.GetValue(checkpoint)!, acc);
            var skipped = new List<string>();
            var set = ImageFolder.Load(r.GetValue(data)!, tm.Classes, r.GetValue(strict), skipped);
            foreach (var s in skipped.Take(5)) Console.Error.WriteLine($"warning: skipped {s}");
            if (skipped.Count > 5) Console.Error.WriteLine($"warning: skipped {skipped.Count} images in all");
            tm.Builder.Validate(set, r.GetValue(data)!);
            var res = Evaluator.Evaluate(tm.Model, set, tm.Builder, r.GetValue(batch));
            if (r.GetValue(json))
            {
                var confusion = Enumerable.Range(0, res.Classes.Length).Select(i => Enumerable.Range(0, res.Classes.Length).Select(j => res.Confusion[i, j]).ToArray()).ToArray();
                Console.WriteLine(JsonSerializer.Serialize(new { accuracy = res.Accuracy, top5 = res.Top5, count = res.Count, skipped = skipped.Count, classes = res.Classes, confusion }));
                return 0;
            }
            AnsiConsole.MarkupLine($"images: {res.Count}{(skipped.Count > 0 ? $" ([yellow]{skipped.Count} skipped[/])" : "")}");
            AnsiConsole.MarkupLine($"accuracy: [bold]{Common.Percent(res.Accuracy)}[/]");
            AnsiConsole.MarkupLine($"top-5 accuracy: {Common.Percent(res.Top5)}");
            if (res.Classes.Length <= 30) AnsiConsole.Write(Common.Confusion(res));
            else AnsiConsole.MarkupLine($"[grey]{res.Classes.Length} classes: use --json for the confusion matrix[/]");
            return 0;
        });
        return cmd;
    }
}

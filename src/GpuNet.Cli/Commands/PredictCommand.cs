using System.CommandLine;
using GpuNet.Data;
using GpuNet.Runtime;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class PredictCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint",
            "-c")
        { Description = "Checkpoint written by `gpunet train`", Required = true };
        var top = new Option<int>("--top", "-k")
        {
            Description = "How many classes to print per image",
            DefaultValueFactory = _ => 3
        };
        var device = Common.Device();
        var devices =
            new Option<string?>("--devices") { Description = "Two devices A,B: run AlexNet split into two towers" };
        var images = new Argument<string[]>("images")
        {
            Description = "JPEG, PNG, WebP, BMP or GIF images to classify " +
                "(any size: the checkpoint's evaluation transform applies)",
            Arity = ArgumentArity.OneOrMore,
        };
        var cmd = new Command("predict", "Print the top-k classes of each image with their probabilities") { checkpoint,
            top, device, devices, images };
        cmd.SetGuardedAction(r =>
        {
            var paths = r.GetValue(images)!;
            // a name that is not UTF-8 reaches .NET with U+FFFD in it; the file opens by its bytes
            var decoded = paths.Select(p => File.Exists(p) || FileNames.ExistsByBytes(p)
                ? ImageDecoder.Read(p) : throw new DataException($"{p}: no such image file")).ToList();
            using var pair = Common.OpenDevices(r.GetValue(device)!, r.GetValue(devices));
            using var tm = TrainedModel.Open(r.GetValue(checkpoint)!, pair.First, pair.Second);
            var probs = tm.Predict(decoded);
            int k = Math.Clamp(r.GetValue(top), 1, tm.Classes.Length);
            for (int i = 0; i < paths.Length; i++)
            {
                var best = Enumerable.Range(0, tm.Classes.Length).OrderByDescending(j => probs[i][j]).Take(k);
                Console.WriteLine($"{paths[i]}: "
                    + string.Join(", ", best.Select(j => $"{tm.Classes[j]} {probs[i][j] * 100:F1}%")));
            }
            return 0;
        });
        return cmd;
    }
}

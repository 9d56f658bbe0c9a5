using System.Diagnostics;
using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;

namespace GpuNet.Bench;

/// <summary>
/// Times LeNet-5 training epochs over all 60,000 MNIST training images on a device (default the CPU accelerator; batch
/// 32, the trainer's default optimizer and learning rate, the data set held in memory), stepping as the trainer does
/// (the running loss stays on the device until the epoch ends), and reports the process's RSS after each epoch.
/// </summary>
internal static class LeNetEpoch
{
    public static int Run(string mnist, int epochs, int batch, string device = "cpu")
    {
        var files = ImageFolder.List(Path.Combine(mnist, "train"));
        var set = new ImageStore(files, new BadFiles(strict: true));
        set.Preload(Environment.ProcessorCount);
        using var acc = GpuNet.Runtime.Devices.Open(device);
        using var model = ModelZoo.Create("lenet5", acc, files.Classes.Length);
        Initializer.Apply(model, InitScheme.Uniform, new Rng(1));
        var (mean, std) = ChannelStatistics.Of(Enumerable.Range(0, set.Count).Select(i => set.Get(i)!), 1);
        var loader = new BatchLoader(set, new Transform([], model.InputShape, mean, std), batch);
        var defaults = new GpuNet.Training.TrainOptions();
        using var opt = Optimizer.Create(defaults.Optimizer, defaults.LearningRate, momentum: defaults.Momentum);
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        var order = Enumerable.Range(0, set.Count).ToArray();
        var rng = new Rng(2);
        Console.WriteLine($"LeNet-5, {set.Count} images, batch {batch}, {acc.Description}");
        Console.WriteLine("| epoch | seconds | images/s | loss | RSS after epoch (MiB) | accelerator peak (MiB) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int e = 1; e <= epochs; e++)
        {
            rng.Shuffle(order);
            var sw = Stopwatch.StartNew();
            using var stats = acc.Zeros(2);
            foreach (var bt in loader.Run(order, e))
            {
                int n = bt.Count;
                GpuNet.Training.Trainer.Step(model, loss, opt, bt.Input.AsSpan(0, n * loader.Transform.SampleSize),
                    bt.Labels.AsSpan(0, n), stats);
            }
            double sum = stats.ToArray()[0];
            sw.Stop();
            using var proc = Process.GetCurrentProcess();
            Console.WriteLine(
                $"| {e} | {sw.Elapsed.TotalSeconds:F2} | {set.Count / sw.Elapsed.TotalSeconds:N0} | " +
                $"{sum / set.Count:F4} | {proc.WorkingSet64 / 1048576.0:F0} | {acc.PeakBytes / 1048576.0:F1} |");
        }
        using var p = Process.GetCurrentProcess();
        Console.WriteLine($"peak RSS {p.PeakWorkingSet64 / 1048576.0:F0} MiB");
        return 0;
    }
}

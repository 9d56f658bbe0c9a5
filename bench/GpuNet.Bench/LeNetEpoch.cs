using System.Diagnostics;
using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Bench;

/// <summary>
/// Times LeNet-5 training epochs over all 60,000 MNIST training images on the CPU accelerator (batch 32, the trainer's default optimizer and learning rate,
/// the data set held in memory), and reports the process's RSS after each epoch so growth would show.
/// </summary>
internal static class LeNetEpoch
{
    public static int Run(string mnist, int epochs, int batch)
    {
        var skipped = new List<string>();
        var set = ImageFolder.Load(Path.Combine(mnist, "train"), null, strict: true, skipped);
        using var acc = new CpuAccelerator();
        using var model = ModelZoo.Create("lenet5", acc, set.Classes.Length);
        Initializer.Apply(model, InitScheme.Uniform, new Rng(1));
        var (mean, std) = set.ChannelStatistics();
        var builder = new BatchBuilder(model.InputShape, mean, std);
        var defaults = new GpuNet.Training.TrainOptions();
        using var opt = Optimizer.Create(defaults.Optimizer, defaults.LearningRate, momentum: defaults.Momentum);
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        using var x = acc.Allocate([batch, .. model.InputShape]);
        var host = new float[batch * builder.SampleSize];
        var labels = new int[batch];
        var order = Enumerable.Range(0, set.Count).ToArray();
        var rng = new Rng(2);
        Console.WriteLine($"LeNet-5, {set.Count} images, batch {batch}, {acc.Description}");
        Console.WriteLine("| epoch | seconds | images/s | loss | RSS after epoch (MiB) | accelerator peak (MiB) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int e = 1; e <= epochs; e++)
        {
            rng.Shuffle(order);
            var sw = Stopwatch.StartNew();
            double sum = 0;
            for (int s = 0; s < set.Count; s += batch)
            {
                int n = Math.Min(batch, set.Count - s);
                builder.Fill(set, order.AsSpan(s, n), host, labels);
                var xb = n == batch ? x : x.Slice(0, [n, .. model.InputShape]);
                xb.CopyFrom(host.AsSpan(0, n * builder.SampleSize));
                var z = model.Forward(xb, true);
                sum += loss.Forward(z, labels.AsSpan(0, n)) * n;
                model.Backward(loss.Backward());
                opt.Step(model.Parameters);
            }
            sw.Stop();
            using var proc = Process.GetCurrentProcess();
            Console.WriteLine($"| {e} | {sw.Elapsed.TotalSeconds:F2} | {set.Count / sw.Elapsed.TotalSeconds:N0} | {sum / set.Count:F4} | {proc.WorkingSet64 / 1048576.0:F0} | {acc.PeakBytes / 1048576.0:F1} |");
        }
        using var p = Process.GetCurrentProcess();
        Console.WriteLine($"peak RSS {p.PeakWorkingSet64 / 1048576.0:F0} MiB");
        return 0;
    }
}

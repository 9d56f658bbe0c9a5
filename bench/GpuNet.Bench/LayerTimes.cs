using System.Diagnostics;
using GpuNet.Models;
using GpuNet.Runtime;

namespace GpuNet.Bench;

/// <summary>Forward and backward time of every layer of a model at a batch size, averaged over repeated steps.</summary>
internal static class LayerTimes
{
    public static int Run(string modelName, int batch, int steps, string device)
    {
        using var acc = Devices.Open(device);
        using var model = ModelZoo.Create(modelName, acc);
        Initializer.Apply(model, InitScheme.Uniform, new Rng(1));
        var r = new Rng(2);
        using var x = acc.FromHost(Enumerable.Range(0, batch * model.InputShape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)r.NextGaussian()).ToArray(), [batch, .. model.InputShape]);
        var fwd = new double[model.Layers.Count]; var bwd = new double[model.Layers.Count];
        var outs = new Tensor[model.Layers.Count];
        for (int s = -3; s < steps; s++)   // 3 warm-up steps
        {
            var t = x;
            for (int i = 0; i < model.Layers.Count; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                t = outs[i] = model.Layers[i].Forward(t, training: true);
                acc.Synchronize();
                if (s >= 0) fwd[i] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
            Tensor? d = outs[^1];
            for (int i = model.Layers.Count - 1; i >= 0 && d is not null; i--)
            {
                long t0 = Stopwatch.GetTimestamp();
                d = model.Layers[i].Backward(d);
                acc.Synchronize();
                if (s >= 0) bwd[i] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            }
        }
        Console.WriteLine($"{modelName}, batch {batch}, {acc.Name} ({acc.Description}), mean of {steps} steps");
        Console.WriteLine("| layer | type | forward ms | backward ms |");
        Console.WriteLine("|---|---|---|---|");
        for (int i = 0; i < model.Layers.Count; i++)
            Console.WriteLine($"| {model.Layers[i].Name} | {model.Layers[i].Kind} {model.Layers[i].Details} | {fwd[i] / steps:F3} | {bwd[i] / steps:F3} |");
        Console.WriteLine($"| total | | {fwd.Sum() / steps:F3} | {bwd.Sum() / steps:F3} |");
        return 0;
    }
}

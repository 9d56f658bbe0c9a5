using System.Diagnostics;
using GpuNet.Models;
using GpuNet.Runtime;

namespace GpuNet.Bench;

/// <summary>
/// Forward and backward time of every layer of a model at a batch size, averaged over repeated steps, on one or more
/// devices in the same run (columns side by side). The same weights and inputs on every device.
/// </summary>
internal static class LayerTimes
{
    public static int Run(string modelName, int batch, int steps, string devices)
    {
        var names = devices.Split(',', StringSplitOptions.RemoveEmptyEntries);
        var columns = new List<(string Device, double[] Fwd, double[] Bwd, string[] Layers)>();
        foreach (var name in names)
        {
            using var acc = Devices.Open(name);
            using var model = ModelZoo.Create(modelName, acc);
            Initializer.Apply(model, InitScheme.AlexNet, new Rng(1));
            var r = new Rng(2);
            using var x = acc.FromHost(Enumerable.Range(0, batch * model.InputShape.Aggregate(1, (a, b) => a * b))
                .Select(_ => (float)r.NextGaussian()).ToArray(), [batch, .. model.InputShape]);
            var fwd = new double[model.Layers.Count]; var bwd = new double[model.Layers.Count];
            for (int s = -3; s < steps; s++)   // 3 warm-up steps: program builds and the per-shape algorithm choice
            {
                var t = x;
                for (int i = 0; i < model.Layers.Count; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    t = model.Layers[i].Forward(t, training: true);
                    acc.Synchronize();
                    if (s >= 0) fwd[i] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                Tensor? d = t;
                for (int i = model.Layers.Count - 1; i >= 0 && d is not null; i--)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    d = model.Layers[i].Backward(d);
                    acc.Synchronize();
                    if (s >= 0) bwd[i] += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
            }
            Console.WriteLine($"{name}: {acc.Description}");
            columns.Add((name, fwd.Select(v => v / steps).ToArray(), bwd.Select(v => v / steps).ToArray(),
                model.Layers.Select(l => $"{l.Name} | {l.Kind} {l.Details}").ToArray()));
        }
        Console.WriteLine($"\n{modelName}, batch {batch}, mean of {steps} steps, ms per layer (forward / backward)");
        Console.WriteLine("| layer | type | "
            + string.Join(" | ", columns.Select(c => $"{c.Device} fwd | {c.Device} bwd")) + " |");
        Console.WriteLine("|---|---|" + string.Concat(columns.Select(_ => "---|---|")));
        for (int i = 0; i < columns[0].Layers.Length; i++)
            Console.WriteLine($"| {columns[0].Layers[i]} | "
                + string.Join(" | ", columns.Select(c => $"{c.Fwd[i]:F3} | {c.Bwd[i]:F3}")) + " |");
        Console.WriteLine("| total | | "
            + string.Join(" | ", columns.Select(c => $"{c.Fwd.Sum():F2} | {c.Bwd.Sum():F2}")) + " |");
        return 0;
    }
}

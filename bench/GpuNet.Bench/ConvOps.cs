using System.Diagnostics;
using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Runtime;

namespace GpuNet.Bench;

/// <summary>
/// The three convolution ops of every convolution of a model (forward with bias, backward-data, backward-filter with
/// the bias gradient) at a batch size, each timed alone: the median of 10 calls per round, the least of the rounds'
/// medians reported (the machine's noise only ever adds time). Random inputs; the op alone, without its neighbours.
/// </summary>
internal static class ConvOps
{
    public static int Run(string modelName, int batch, int rounds, string device)
    {
        using var acc = Devices.Open(device);
        using var model = ModelZoo.Create(modelName, acc);
        var convs = model.Layers.OfType<Conv2d>().ToArray();
        var rng = new Random(1);
        Tensor Random(int[] shape) =>
            acc.FromHost(Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b))
                .Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray(), shape);
        var cases = convs.Select(l =>
        {
            var g = new Conv2dGeometry(batch, l.InputShape[0], l.InputShape[1], l.InputShape[2], l.Filters, l.Kernel,
                l.Kernel, l.Stride, l.Stride, l.Padding, l.Padding, l.Groups);
            return (l.Name, g, X: Random(g.InputShape), W: Random(g.FilterShape), B: Random([g.K]),
                Y: Random(g.OutputShape), Dy: Random(g.OutputShape), Dx: Random(g.InputShape),
                Dw: Random(g.FilterShape), Db: Random([g.K]));
        }).ToArray();
        var best = new double[cases.Length, 3];
        for (int i = 0; i < best.Length; i++) best[i / 3, i % 3] = double.MaxValue;
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < cases.Length; i++)
            {
                var c = cases[i];
                best[i, 0] = Math.Min(best[i, 0], Median(() => acc.Conv2dForward(c.X, c.W, c.B, c.Y, c.g)));
                best[i, 1] = Math.Min(best[i, 1], Median(() => acc.Conv2dBackwardData(c.Dy, c.W, c.Dx, c.g)));
                best[i, 2] = Math.Min(best[i, 2], Median(() => acc.Conv2dBackwardFilter(c.X, c.Dy, c.Dw, c.Db, c.g)));
            }
        Console.WriteLine($"{device}: {acc.Description}");
        Console.WriteLine($"\n{modelName}, batch {batch}, ms per op (least of {rounds} rounds' medians of 10 calls)");
        Console.WriteLine("| layer | shape | forward | backward-data | backward-filter | forward GMAC/s |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (int i = 0; i < cases.Length; i++)
        {
            var g = cases[i].g;
            double macs = (double)g.N * g.K * g.OutH * g.OutW * g.Cg * g.R * g.S;
            Console.WriteLine($"| {cases[i].Name} | {convs[i].Details} | {best[i, 0]:F3} | {best[i, 1]:F3} | " +
                $"{best[i, 2]:F3} | {macs / best[i, 0] / 1e6:F1} |");
        }
        double Sum(int op) => Enumerable.Range(0, cases.Length).Sum(i => best[i, op]);
        Console.WriteLine($"| total | | {Sum(0):F2} | {Sum(1):F2} | {Sum(2):F2} | |");
        foreach (var c in cases)
            foreach (var t in new[] { c.X, c.W, c.B, c.Y, c.Dy, c.Dx, c.Dw, c.Db }) t.Dispose();
        return 0;
    }

    private static double Median(Action op)
    {
        op();
        var times = new double[10];
        for (int i = 0; i < times.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            op();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        return times[times.Length / 2];
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuNet.Losses;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// One configuration's figures: ms per training step by phase, peak memory per device, bytes crossing devices.
/// </summary>
/// <remarks>
/// CopyMs is the communication per step: each tower's time copying across (packing rows, device → host, host →
/// device, after its own queued compute finished), the larger of the two towers. The towers copy at the same time, so
/// this is the copy time on the step's critical path when the towers are balanced.
/// </remarks>
public sealed record SplitRun(string Layout, string Devices, double ForwardMs, double BackwardMs, double UpdateMs,
    long[] PeakBytes, long BytesPerStep, long AnalyticBytesPerStep, double CopyMs = 0)
{
    public double StepMs => ForwardMs + BackwardMs + UpdateMs;
    /// <summary>The communication share of the step time.</summary>
    public double CopyShare => StepMs > 0 ? CopyMs / StepMs : 0;
}

/// <summary>
/// Trains the same AlexNet for a few steps on one device and split across a pair, on the same synthetic batch, timing
/// forward, backward and update separately (after one warm-up step) and reading each accelerator's peak
/// memory. The 2012 network was split because AlexNet did not fit one 3 GB GTX 580: <see cref="Gtx580Bytes"/>.
/// The single-device run gets the same resources as the pair where they are divisible: a cpu,cpu pair (half the cores
/// each) is compared with one CPU accelerator on all of them; a GPU pair with one of its GPUs (the 2012 comparison).
/// </summary>
public static class SplitExperiment
{
    public const long Gtx580Bytes = 3L << 30;

    public static (SplitRun Single, SplitRun Split)
        Run(string model, string devices, int batch, int steps, Action<string>? progress = null)
    {
        if (steps < 1 || batch < 1)
            throw new ArgumentException($"--steps and --batch must be positive, got {steps} and {batch}");
        string name = ModelZoo.Canonical(model);
        var shape = ModelZoo.InputShape(name);
        var r = new Random(1);
        var host = Enumerable.Range(0, batch * shape.Aggregate(1, (a, b) => a * b))
            .Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        int classes = ModelZoo.DefaultClasses(name);
        var labels = Enumerable.Range(0, batch).Select(i => i % classes).ToArray();

        SplitRun single;
        var (a0, a1) = Devices.OpenPair(devices);
        using (a0) using (a1)
        {
            // two CPU accelerators share the cores: the single run gets all of them, not the first one's half
            using var whole = a0 is Runtime.Cpu.CpuAccelerator c0 && a1 is Runtime.Cpu.CpuAccelerator c1
                ? new Runtime.Cpu.CpuAccelerator(c0.Threads + c1.Threads, "cpu") : null;
            var one = whole ?? a0;
            progress?.Invoke($"single device: {name} on {one.Name} ({one.Description})");
            one.ResetPeak();
            using (var m = ModelZoo.Create(name, one))
            {
                Initializer.Apply(m, InitScheme.AlexNet, new Rng(1));
                using var x = one.Allocate([batch, .. shape]);
                single = Time("single", one.Name, steps, [one],
                    () => { x.CopyFrom(host); return m.Forward(x, true); }, d => m.Backward(d), m.Parameters,
                        s => m.Step = s, labels, 0, 0);
            }
            progress?.Invoke($"split: {name} on {a0.Name} + {a1.Name}");
            a0.ResetPeak(); a1.ResetPeak();
            using var split = new TwoTowerAlexNet(name, a0, a1);
            Initializer.Apply(split, InitScheme.AlexNet, new Rng(1));
            long crossedBefore = 0;
            TimeSpan[] copiedBefore = [], copied = [TimeSpan.Zero, TimeSpan.Zero];
            var run = Time("split", $"{a0.Name}+{a1.Name}", steps, [a0, a1],
                () => split.Forward(host, batch, true), d => split.Backward(d), split.Parameters,
                s => split.Step = s, labels,
                0, split.AnalyticBytesPerStep(batch),
                () => { crossedBefore = split.BytesCrossed; copiedBefore = split.CopyTime; },
                () =>
                {
                    var now = split.CopyTime;
                    for (int t = 0; t < 2; t++) copied[t] += now[t] - copiedBefore[t];
                    return split.BytesCrossed - crossedBefore;
                });
            return (single,
                run with { CopyMs = Math.Max(copied[0].TotalMilliseconds, copied[1].TotalMilliseconds) / steps });
        }
    }

    private static SplitRun Time(string layout, string devices, int steps, Accelerator[] accs, Func<Tensor> forward,
        Action<Tensor> backward,
        IEnumerable<Layers.Parameter> parameters, Action<long> setStep, int[] labels, long bytes, long analytic,
        Action? startCount = null, Func<long>? counted = null)
    {
        using var loss = new Loss(accs[0], LossKind.SoftmaxCrossEntropy);
        using var opt = Optimizer.Create("momentum", 0.01f, 5e-4f);
        double f = 0, b = 0, u = 0;
        long crossed = 0;
        void Sync() { foreach (var a in accs) a.Synchronize(); }
        for (int s = 0; s <= steps; s++)   // step 0 warms up (program builds, algorithm choice)
        {
            setStep(s + 1);
            startCount?.Invoke();
            var t0 = Stopwatch.GetTimestamp();
            var z = forward(); loss.Forward(z, labels); Sync();
            var t1 = Stopwatch.GetTimestamp();
            backward(loss.Backward()); Sync();
            var t2 = Stopwatch.GetTimestamp();
            opt.Step(parameters); Sync();
            var t3 = Stopwatch.GetTimestamp();
            if (s == 0) continue;
            f += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            b += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            u += Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            crossed = counted?.Invoke() ?? bytes;
        }
        return new SplitRun(layout, devices, f / steps, b / steps, u / steps, accs.Select(a => a.PeakBytes).ToArray(),
            crossed, analytic);
    }

    public static string Csv(SplitRun single, SplitRun split)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(
            "layout,devices,forward_ms,backward_ms,update_ms,step_ms,copy_ms,copy_share,peak_bytes_device0," +
            "peak_bytes_device1,bytes_crossing_per_step,analytic_bytes_per_step\n");
        foreach (var x in new[] { single, split })
            sb.Append(ci,
                $"{x.Layout},{x.Devices},{x.ForwardMs:F3},{x.BackwardMs:F3},{x.UpdateMs:F3},{x.StepMs:F3}," +
                $"{x.CopyMs:F3},{x.CopyShare:F4},{x.PeakBytes[0]},{(x.PeakBytes.Length > 1 ? x.PeakBytes[1] : 0)}," +
                $"{x.BytesPerStep},{x.AnalyticBytesPerStep}\n");
        return sb.ToString();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using GpuNet.Losses;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>One configuration's figures: ms per training step by phase, peak memory per device, bytes crossing devices.</summary>
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
/// Trains the same AlexNet for a few steps on one device and split across a pair, on the same synthetic batch, timing forward, backward and update separately (after one warm-up step) and reading each accelerator's peak
/// memory. The 2012 network was split because AlexNet did not fit one 3 GB GTX 580: <see cref="Gtx580Bytes"/>.
/// The single-device run gets the same resources as the pair where they are divisible: a cpu,cpu pair (half the cores
/// each) is compared with one CPU accelerator on all of them; a GPU pair with one of its GPUs (the 2012 comparison).
/// </summary>
public static class SplitExperiment
{
    public const long Gtx580Bytes = 3L << 30;

    public static (SplitRun Single, SplitRun Split) Run(string model, string devices, int batch, int steps, Action<string>? progress = null)
    {
        if (steps < 1 || batch < 1) throw new ArgumentException($"--steps and --batch must be positive, got {steps} and {batch}");
        string name = ModelZoo.Canonical(model);
        var shape = ModelZoo.InputShape(name);
        var r = new Random(1);
        var host = Enumerable.Range(0, batch * shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
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
                    () => { x.CopyFrom(host); return m.Forward(x, true); }, d => m.Backward(d), m.Parameters, s => m.Step = s, labels, 0, 0);
            }
            progress?.Invoke($"split: {name} on {a0.Name} + {a1.Name}");
            a0.ResetPeak(); a1.ResetPeak();
            using var split = new TwoTowerAlexNet(name, a0, a1);
            Initializer.Apply(split, InitScheme.AlexNet, new Rng(1));
            long crossedBefore = 0;
            TimeSpan[] copiedBefore = [], copied = [TimeSpan.Zero, TimeSpan.Zero];
            var run = Time("split", $"{a0.Name}+{a1.Name}", steps, [a0, a1],
                () => split.Forward(host, batch, true), split.Backward, split.Parameters, s => split.Step = s, labels,
                0, split.AnalyticBytesPerStep(batch),
                () => { crossedBefore = split.BytesCrossed; copiedBefore = split.CopyTime; },
                () =>
                {
                    var now = split.CopyTime;
                    for (int t = 0; t < 2; t++) copied[t] += now[t] - copiedBefore[t];
                    return split.BytesCrossed - crossedBefore;
                });
            return (single, run with { CopyMs = Math.Max(copied[0].TotalMilliseconds, copied[1].TotalMilliseconds) / steps });
        }
    }

    private static SplitRun Time(string layout, string devices, int steps, Accelerator[] accs, Func<Tensor> forward, Action<Tensor> backward,
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
        return new SplitRun(layout, devices, f / steps, b / steps, u / steps, accs.Select(a => a.PeakBytes).ToArray(), crossed, analytic);
    }

    public static string Csv(SplitRun single, SplitRun split)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("layout,devices,forward_ms,backward_ms,update_ms,step_ms,copy_ms,copy_share,peak_bytes_device0,peak_bytes_device1,bytes_crossing_per_step,analytic_bytes_per_step\n");
        foreach (var x in new[] { single, split })
            sb.Append(ci, $"{x.Layout},{x.Devices},{x.ForwardMs:F3},{x.BackwardMs:F3},{x.UpdateMs:F3},{x.StepMs:F3},{x.CopyMs:F3},{x.CopyShare:F4},{x.PeakBytes[0]},{(x.PeakBytes.Length > 1 ? x.PeakBytes[1] : 0)},{x.BytesPerStep},{x.AnalyticBytesPerStep}\n");
        return sb.ToString();
    }

    /// <summary>Two charts: step time by phase (stacked bars) and peak memory per device against the GTX 580's 3 GiB.</summary>
    public static string Svg(SplitRun single, SplitRun split, string title)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"860\" height=\"380\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(ci, $"<text x=\"430\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{System.Security.SecurityElement.Escape(title)}</text>\n");
        // left: ms per step
        double maxMs = Math.Max(single.StepMs, split.StepMs) * 1.1;
        const int x0 = 70, y0 = 60, h = 260, barW = 90;
        sb.Append(ci, $"<text x=\"{x0}\" y=\"{y0 - 10}\" font-weight=\"bold\">ms per training step</text>\n");
        string[] colors = ["#1f77b4", "#ff7f0e", "#2ca02c"];
        int i = 0;
        foreach (var run in new[] { single, split })
        {
            double bottom = y0 + h;
            int bx = x0 + 40 + i * 150;
            foreach (var (v, c, label) in new[] { (run.ForwardMs, colors[0], "forward"), (run.BackwardMs, colors[1], "backward"), (run.UpdateMs, colors[2], "update") })
            {
                double hh = v / maxMs * h;
                bottom -= hh;
                sb.Append(ci, $"<rect x=\"{bx}\" y=\"{bottom:F1}\" width=\"{barW}\" height=\"{hh:F1}\" fill=\"{c}\"><title>{label} {v:F1} ms</title></rect>\n");
            }
            sb.Append(ci, $"<text x=\"{bx + barW / 2}\" y=\"{bottom - 6:F1}\" text-anchor=\"middle\">{run.StepMs:F1} ms</text>\n");
            if (run.CopyMs > 0)
            {
                // the copies' part of the step, as a thin bar beside it
                double ch = run.CopyMs / maxMs * h;
                sb.Append(ci, $"<rect x=\"{bx + barW + 4}\" y=\"{y0 + h - ch:F1}\" width=\"12\" height=\"{ch:F1}\" fill=\"#7f7f7f\"><title>copies {run.CopyMs:F1} ms</title></rect>\n");
                sb.Append(ci, $"<text x=\"{bx + barW + 20}\" y=\"{y0 + h - ch - 4:F1}\" fill=\"#7f7f7f\">copies {run.CopyMs:F1} ms ({run.CopyShare:P1} of the step)</text>\n");
            }
            sb.Append(ci, $"<text x=\"{bx + barW / 2}\" y=\"{y0 + h + 16}\" text-anchor=\"middle\">{run.Layout}</text>\n");
            i++;
        }
        for (int k = 0; k < 3; k++)
            sb.Append(ci, $"<text x=\"{x0 + 330}\" y=\"{y0 + 20 + 16 * k}\" fill=\"{colors[k]}\">■ {new[] { "forward", "backward", "update" }[k]}</text>\n");
        // right: peak memory per device
        var bars = new List<(string Label, long Bytes)> { ($"single {single.Devices}", single.PeakBytes[0]), ($"split dev 0", split.PeakBytes[0]), ($"split dev 1", split.PeakBytes[1]) };
        double maxB = Math.Max(bars.Max(b => b.Bytes), Gtx580Bytes) * 1.05;
        const int mx = 520, mw = 300;
        sb.Append(ci, $"<text x=\"{mx}\" y=\"{y0 - 10}\" font-weight=\"bold\">peak memory per device</text>\n");
        for (int k = 0; k < bars.Count; k++)
        {
            double w = bars[k].Bytes / maxB * mw;
            int by = y0 + 20 + k * 50;
            sb.Append(ci, $"<rect x=\"{mx}\" y=\"{by}\" width=\"{w:F1}\" height=\"26\" fill=\"#9467bd\"/>\n");
            sb.Append(ci, $"<text x=\"{mx}\" y=\"{by - 3}\">{bars[k].Label}: {bars[k].Bytes / 1048576.0:F1} MiB</text>\n");
        }
        double lx = mx + Gtx580Bytes / maxB * mw;
        sb.Append(ci, $"<line x1=\"{lx:F1}\" x2=\"{lx:F1}\" y1=\"{y0 + 10}\" y2=\"{y0 + 180}\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>\n");
        sb.Append(ci, $"<text x=\"{lx - 4:F1}\" y=\"{y0 + 196}\" text-anchor=\"end\" fill=\"#d62728\">3 GiB (GTX 580)</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}

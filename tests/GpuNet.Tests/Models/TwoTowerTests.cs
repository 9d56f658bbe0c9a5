using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;
using GpuNet.Tests.Ops;

namespace GpuNet.Tests.Models;

/// <summary>
/// The two-tower AlexNet against the single-device grouped model with the same weights, on a device pair: logits and
/// every parameter gradient within 1e-4 (relative to each tensor's largest magnitude), the bytes crossing devices equal
/// to the analytic count, weights within 1e-3 after 5 SGD steps, and a split checkpoint round trip.
/// </summary>
public abstract class TwoTowerTests
{
    protected abstract string Pair { get; }

    /// <summary>Whether this pair exchanges device to device (else through host staging).</summary>
    protected virtual bool Direct => false;

    private static float[] Batch(int n, int[] shape, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n * shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)(r.NextDouble() * 2 - 1))
            .ToArray();
    }

    private static void Near(float[] expected, float[] actual, double rel, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0; int at = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = Math.Abs(expected[i] - actual[i]);
            if (e > worst) { worst = e; at = i; }
        }
        Assert.True(worst <= rel * Math.Max(scale, 1e-12),
            $"{what}: element {at} is {actual[at]}, single-device {expected[at]} (largest |value| {scale:G3}, " +
            $"tolerance {rel} of it)");
    }

    [AcceleratorFact]
    public void Split_model_equals_the_single_device_grouped_model()
    {
        const int n = 4, classes = 10;
        using var cpu = new CpuAccelerator();
        using var single = ModelZoo.Create("alexnet-small", cpu, classes);
        Initializer.Apply(single, InitScheme.Xavier, new Rng(3));
        var (a0, a1) = Devices.OpenPair(Pair);
        using var d0 = a0; using var d1 = a1;
        using var split = new TwoTowerAlexNet("alexnet-small", a0, a1, classes);
        Assert.Equal(single.ParameterCount, split.ParameterCount);
        Assert.Equal(Direct, split.Direct);
        split.LoadFrom(single);

        using var lossSingle = new Loss(cpu, LossKind.SoftmaxCrossEntropy);
        using var lossSplit = new Loss(a0, LossKind.SoftmaxCrossEntropy);
        using var optSingle = Optimizer.Create("sgd", 0.01f);
        using var optSplit = Optimizer.Create("sgd", 0.01f);
        int[] labels = [1, 4, 7, 9];
        // the 2012 exchanges, from the grouped model's own layer shapes: conv3 reads all of pool2, fc6 all of pool5,
        // fc7 all of fc6, and fc8 (on the first device) tower 1's half of fc7; backward sends the same back
        long PerSample(string layer) => Shapes.Product(single.Layers.Single(l => l.Name == layer).OutputShape);
        long crossing = 2L * (PerSample("pool2") + PerSample("pool5") + PerSample("fc6") + PerSample("fc7") / 2) * n
                        * sizeof(float);
        var byName = single.Parameters.ToDictionary(p => p.Name);
        for (int step = 1; step <= 5; step++)
        {
            var host = Batch(n, single.InputShape, step);
            using var x = cpu.FromHost(host, [n, .. single.InputShape]);
            single.Step = split.Step = step;
            var zs = single.Forward(x, training: true);
            long before = split.BytesCrossed;
            var zt = split.Forward(host, n, training: true);
            if (step == 1) Near(zs.ToArray(), zt.ToArray(), 1e-4, "logits");
            lossSingle.Forward(zs, labels); single.Backward(lossSingle.Backward());
            lossSplit.Forward(zt, labels); split.Backward(lossSplit.Backward());
            Assert.Equal(crossing, split.BytesCrossed - before);
            Assert.Equal(crossing, split.AnalyticBytesPerStep(n));
            if (step == 1)
                foreach (var p in split.Parameters.Where(p => p.Trainable))
                {
                    var (name, tower) = TwoTowerAlexNet.SingleName(p.Name);
                    var whole = byName[name].Grad!.ToArray();
                    Near(tower < 0 ? whole : whole.AsSpan(tower * p.Data.Length, p.Data.Length).ToArray(),
                        p.Grad!.ToArray(), 1e-4, $"gradient of {p.Name}");
                }
            optSingle.Step(single.Parameters);
            optSplit.Step(split.Parameters);
        }
        Assert.All(split.CopyTime, c => Assert.True(c > TimeSpan.Zero, "each tower's copies are timed"));
        // after 5 SGD steps the split weights, written back into a single model, match
        using var back = ModelZoo.Create("alexnet-small", cpu, classes);
        split.SaveTo(back);
        foreach (var (p, q) in single.Parameters.Zip(back.Parameters))
            Near(p.Data.ToArray(), q.Data.ToArray(), 1e-3, $"weights of {p.Name} after 5 steps");
    }

    [AcceleratorFact]
    public void A_split_checkpoint_round_trips_into_the_single_device_model()
    {
        const int n = 3;
        using var cpu = new CpuAccelerator();
        var (a0, a1) = Devices.OpenPair(Pair);
        using var d0 = a0; using var d1 = a1;
        using var split = new TwoTowerAlexNet("alexnet-small", a0, a1, 5);
        // give the split model its own weights, then save them through the single-device layout and load them back
        using (var seed = ModelZoo.Create("alexnet-small", cpu, 5))
        {
            Initializer.Apply(seed, InitScheme.Xavier,
            new Rng(9)); split.LoadFrom(seed);
        }
        string path = Path.Combine(Path.GetTempPath(),
            $"gpunet-split-{Environment.ProcessId}-{Pair.Replace(',', '_').Replace(':', '-')}.ckpt");
        try
        {
            // as a split run saves: each tower's half gathered into the single-device layout
            GpuNet.Training.Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "alexnet-small" },
                GpuNet.Training.Checkpoint.NetworkTensors(split, optimizer: null));
            using var loaded = ModelZoo.Create("alexnet-small", cpu, 5);
            GpuNet.Training.Checkpoint.LoadNetwork(loaded, GpuNet.Training.Checkpoint.Read(path));
            var host = Batch(n, loaded.InputShape, 42);
            using var x = cpu.FromHost(host, [n, .. loaded.InputShape]);
            var logits = split.Forward(host, n, training: false).ToArray();
            Near(logits, loaded.Forward(x, training: false).ToArray(), 1e-4, "logits after the round trip");
            // and back into a split network, as a split run resumes: each tower takes its half again
            using var again = new TwoTowerAlexNet("alexnet-small", a0, a1, 5);
            GpuNet.Training.Checkpoint.LoadNetwork(again, GpuNet.Training.Checkpoint.Read(path));
            Near(logits, again.Forward(host, n, training: false).ToArray(), 1e-6, "split logits after the round trip");
        }
        finally { File.Delete(path); }
    }
}

public sealed class CpuPairTwoTowerTests : TwoTowerTests { protected override string Pair => "cpu,cpu"; }

/// <summary>
/// The GPU kernels on two ILGPU CPU accelerators, each with its own memory: the 2012 split as a GPU pair runs it.
/// </summary>
public sealed class IlgpuCpuPairTwoTowerTests : TwoTowerTests
{
    protected override string Pair => "ilgpu-cpu,ilgpu-cpu";
    protected override bool Direct => true;
}

/// <summary>
/// One GPU used twice, for people with one card: two accelerators, each with its own stream and memory pool.
/// </summary>
[RequiresAccelerator("cuda")]
public sealed class CudaSameGpuTwoTowerTests : TwoTowerTests
{
    protected override string Pair => "cuda:0,cuda:0";
    protected override bool Direct => true;
}

/// <summary>The towers' threads: one failing must not leave the other waiting at an exchange.</summary>
public sealed class TwoTowerThreadTests
{
    [Theory]
    [InlineData(1, 0)]   // tower 1 fails before the first exchange, tower 0 is waiting there
    [InlineData(0, 1)]   // tower 0 fails after it, tower 1 is waiting at the second
    public async Task A_failing_tower_releases_the_other_and_its_error_comes_out(int failing, int exchangesBefore)
    {
        var run = Task.Run(() => TwoTowerAlexNet.Towers((t, barrier, ct) =>
        {
            for (int k = 0; k < 3; k++)
            {
                if (t == failing && k == exchangesBefore) throw new InvalidOperationException($"tower {t} failed");
                barrier.SignalAndWait(ct);
            }
        }));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))) == run,
            "the other tower was left waiting");
        var e = Assert.IsType<InvalidOperationException>(run.Exception!.InnerException);
        Assert.Equal($"tower {failing} failed", e.Message);
    }
}

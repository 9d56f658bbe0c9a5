using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>
/// Training through ILGPU's CPU accelerator (the GPU kernels, thread by thread) against the CPU accelerator.
/// </summary>
public sealed class IlgpuTrainingTests
{
    private const int Batch = 16, Steps = 8;

    /// <summary>
    /// The first Steps · Batch MNIST training images as LeNet-5 sees them (32×32, centred), with their labels.
    /// </summary>
    private static List<(float[] Input, int[] Labels)> MnistBatches()
    {
        var files = ImageFolder.List(Path.Combine(Mnist.Folder, "train"));
        var store = new ImageStore(files, new BadFiles(true));
        var tf = new Transform(Transform.ParseSteps(""), [1, 32, 32], [0.1307f], [0.3081f]);
        var loader = new BatchLoader(store, tf, Batch, workers: 1);
        return loader.Run(Enumerable.Range(0, Steps * Batch).ToArray(), 1)
            .Select(b => (b.Input.AsSpan(0, b.Count * tf.SampleSize).ToArray(), b.Labels.AsSpan(0, b.Count).ToArray()))
            .ToList();
    }

    // Training on two backends drifts apart after a few dozen steps (max-pool near-ties flip once the weights differ by
    // float rounding); before that, the GPU kernels must follow the CPU accelerator step by step.
    [Fact]
    public void LeNet5_on_ilgpu_cpu_follows_the_CPU_accelerator_step_by_step_on_MNIST_batches()
    {
        using var cpu = new CpuAccelerator();
        using var il = Devices.Open("ilgpu-cpu");
        using var a = ModelZoo.Create("lenet5", cpu);
        using var b = ModelZoo.Create("lenet5", il);
        Initializer.Apply(a, InitScheme.Uniform, new Rng(11));
        foreach (var (p, q) in a.Parameters.Zip(b.Parameters)) q.Data.CopyFrom(p.Data.ToArray());
        using var la = new Loss(cpu, LossKind.SoftmaxCrossEntropy);
        using var lb = new Loss(il, LossKind.SoftmaxCrossEntropy);
        using var oa = Optimizer.Create("momentum", 0.02f, 5e-4f, 0, 0.9f);
        using var ob = Optimizer.Create("momentum", 0.02f, 5e-4f, 0, 0.9f);
        int step = 0;
        foreach (var (x, labels) in MnistBatches())
        {
            step++;
            a.Step = b.Step = step;
            float lossA = la.Forward(a.Forward(x, labels.Length, true), labels);
            float lossB = lb.Forward(b.Forward(x, labels.Length, true), labels);
            Assert.True(Math.Abs(lossA - lossB) <= 1e-4 * Math.Abs(lossA),
                $"step {step}: loss {lossB} on ilgpu-cpu, {lossA} on the CPU accelerator");
            a.Backward(la.Backward()); b.Backward(lb.Backward());
            oa.Step(a.Parameters); ob.Step(b.Parameters);
        }
        Assert.Equal(Steps, step);
        foreach (var (p, q) in a.Parameters.Zip(b.Parameters))
        {
            float[] wa = p.Data.ToArray(), wb = q.Data.ToArray();
            double scale = wa.Max(v => Math.Abs(v)), worst = wa.Zip(wb).Max(t => Math.Abs(t.First - t.Second));
            Assert.True(worst <= 1e-4 * scale,
                $"{p.Name} after {Steps} steps: differs by {worst:G3} (largest |weight| {scale:G3})");
        }
    }

    /// <summary>
    /// A training step stays on the device: the images and the labels go up, nothing comes back; the running loss and
    /// correct count are read once, when progress is reported, and equal what the host computes from the same step.
    /// </summary>
    [Theory]
    [InlineData("ilgpu-cpu")]
    [InlineData("cpu")]
    public void A_training_step_uploads_images_and_labels_and_reads_nothing_back(string device)
    {
        using var acc = Devices.Open(device);
        using var model = ModelZoo.Create("lenet5", acc);
        Initializer.Apply(model, InitScheme.Uniform, new Rng(3));
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        using var opt = Optimizer.Create("momentum", 0.01f, 0, 0, 0.9f);
        using var stats = acc.Zeros(2);
        var batches = MnistBatches().Take(3).ToList();
        Trainer.Step(model, loss, opt, batches[0].Input, batches[0].Labels, stats);   // first step allocates state
        acc.Fill(stats, 0f);
        double expectedLoss = 0; long expectedCorrect = 0;
        foreach (var (x, labels) in batches.Skip(1))
        {
            long up = acc.Uploads, down = acc.Downloads;
            Trainer.Step(model, loss, opt, x, labels, stats);
            Assert.Equal((2L, 0L), (acc.Uploads - up, acc.Downloads - down));
            // the same step's loss and correct count, computed on the host from the probabilities it left
            var probs = loss.Probabilities!.ToArray();
            for (int i = 0; i < labels.Length; i++)
            {
                var row = probs.AsSpan(i * 10, 10);
                expectedLoss -= Math.Log(row[labels[i]]);
                if (Metrics.ArgMax(row) == labels[i]) expectedCorrect++;
            }
        }
        var read = stats.ToArray();
        Assert.True(Math.Abs(read[0] - expectedLoss) <= 1e-4 * expectedLoss,
            $"loss sum {read[0]}, host {expectedLoss}");
        Assert.Equal(expectedCorrect, (long)read[1]);
    }

    /// <summary>
    /// Deterministic by default on the GPU kernels too: two runs with one seed give the same weights bit for bit, and a
    /// run resumed after its first epoch equals the uninterrupted one.
    /// </summary>
    [Fact]
    public void On_ilgpu_cpu_the_same_seed_gives_the_same_run_and_resume_equals_an_uninterrupted_run()
    {
        string dir = Directory.CreateTempSubdirectory("gpunet-iltrain").FullName;
        try
        {
            // 25 training and 5 test images a class: the simulated threads are slow
            string data = Mnist.Small(dir, 25, 5);
            TrainOptions Options(string name, int epochs) => new()
            {
                Model = "lenet5", Data = data, Epochs = epochs, Batch = 32, Seed = 5,
                Device = "ilgpu-cpu", Out = Path.Combine(dir, name), ValidationFraction = 0,
            };
            var full = Trainer.Run(Options("full", 2), NullObserver.Instance);
            Trainer.Run(Options("again", 2), NullObserver.Instance);
            Trainer.Run(Options("split", 1), NullObserver.Instance);
            Trainer.Run(Trainer.ResumeOptions(Path.Combine(dir, "split")) with { Epochs = 2 }, NullObserver.Instance,
                resume: true);
            var a = Checkpoint.Read(Path.Combine(full.RunDirectory, Trainer.LastCheckpoint));
            foreach (var other in new[] { "again", "split" })
            {
                var b = Checkpoint.Read(Path.Combine(dir, other, Trainer.LastCheckpoint));
                foreach (var (name, t) in a.Tensors) Assert.True(t.Data.SequenceEqual(b.Tensors[name].Data),
                    $"{other}: {name} differs");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Label_values_outside_the_classes_are_refused_before_anything_runs()
    {
        using var acc = Devices.Open("ilgpu-cpu");
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        using var z = acc.Zeros(2, 10);
        var e = Assert.Throws<ArgumentException>(() => loss.Compute(z, [3, 10]));
        Assert.Contains("label 10 of sample 1 is outside the model's 10 classes", e.Message);
        e = Assert.Throws<ArgumentException>(() => loss.Compute(z, [-1, 0]));
        Assert.Contains("label -1 of sample 0", e.Message);
    }
}

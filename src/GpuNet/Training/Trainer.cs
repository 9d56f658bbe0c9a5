using GpuNet.Distributed;
using GpuNet.Layers;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Optim;
using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;

namespace GpuNet.Training;

/// <summary>
/// Training stopped because the loss became non-finite; the message names the epoch, batches and parameter.
/// </summary>
public sealed class DivergenceException(string message) : Exception(message);

public sealed record TrainResult(string RunDirectory, double BestValidationAccuracy, int BestEpoch,
    EvaluationResult? Test,
    long[] PeakDeviceBytes, long PeakRssBytes, IReadOnlyList<EpochMetrics> History, int SkippedImages);

/// <summary>
/// The training job: image folder in, run folder out (metrics.csv, curves.png and curves.svg, last.ckpt, best.ckpt,
/// skipped.txt).
/// Holds out a seeded validation split, normalises with training statistics, shuffles every epoch, keeps the
/// checkpoint best on validation and evaluates it on the test split at the end. Resumable from last.ckpt.
/// </summary>
public sealed class Trainer
{
    public const string LastCheckpoint = "last.ckpt", BestCheckpoint = "best.ckpt", MetricsFile = "metrics.csv";
    /// <summary>The training curves' chart, written each epoch as CURVES.png and CURVES.svg.</summary>
    public const string CurvesChart = "curves";
    /// <summary>The list of unreadable images a run skipped.</summary>
    public const string SkippedFile = "skipped.txt";

    public static LossKind ParseLoss(string name) => name.Trim().ToLowerInvariant() switch
    {
        "cross-entropy" or "ce" or "softmax-cross-entropy" => LossKind.SoftmaxCrossEntropy,
        "mse" => LossKind.Mse,
        "mae" => LossKind.Mae,
        "bce" or "binary-cross-entropy" => LossKind.BinaryCrossEntropy,
        "hinge" => LossKind.Hinge,
        _ => throw new ArgumentException($"unknown loss '{name}'; known: cross-entropy, mse, mae, bce, hinge"),
    };

    /// <summary>Reads the options a run was started with, from its last checkpoint.</summary>
    public static TrainOptions ResumeOptions(string runDir)
    {
        var file = Checkpoint.Read(Path.Combine(runDir, LastCheckpoint));
        return file.GetJson<TrainOptions>("options") with { Out = runDir };
    }

    /// <summary>
    /// Seconds between progress updates, each reading the running loss and accuracy back from the device.
    /// </summary>
    public const double ProgressSeconds = 0.5;

    /// <summary>
    /// One training step, on the network's devices: forward, loss, backward, update. The batch's loss and correct count
    /// are added to stats (2) on the device; the images and the labels go up, nothing comes back.
    /// input: (N, sample size) on the host; labels: (N).
    /// </summary>
    public static void Step(INetwork model, Loss loss, Optimizer optimizer, ReadOnlySpan<float> input,
        ReadOnlySpan<int> labels, Tensor stats)
    {
        model.Step++;
        ForwardBackward(model, loss, input, labels, stats, lossWeight: 1, gradientsReady: null);
        optimizer.Step(model.Parameters);
    }

    /// <summary>Forward, loss (added to stats on the device) and backward of one batch: every step's core.</summary>
    private static void ForwardBackward(INetwork model, Loss loss, ReadOnlySpan<float> input, ReadOnlySpan<int> labels,
        Tensor stats, double lossWeight, Action<IReadOnlyList<Parameter>>? gradientsReady)
    {
        var z = model.Forward(input, labels.Length, training: true);
        loss.Compute(z, labels);
        loss.Accumulate(stats);
        model.Backward(loss.Backward(lossWeight), gradientsReady);
    }

    /// <summary>
    /// One data-parallel step of rank <paramref name="ranks"/>.Rank on its part of a global batch (possibly empty):
    /// forward and loss on its images, backward with the gradients reduced over the ranks as they become ready, then
    /// the update every rank applies alike (none when the whole global batch was empty). <paramref name="stop"/> asks
    /// every rank to stop after this step; returns the global batch's count and whether any rank asked.
    /// </summary>
    public static (int Count, bool Stop) Step(INetwork model, Loss loss, Optimizer optimizer,
        ReadOnlySpan<float> input, ReadOnlySpan<int> labels, Tensor stats, IGradientReducer ranks, bool stop)
    {
        model.Step++;
        int n = labels.Length;
        ranks.BeginStep(model, n, stop);
        if (n > 0) ForwardBackward(model, loss, input, labels, stats, ranks.LossWeight(n), ranks.GradientsReady);
        var (count, anyStop) = ranks.FinishStep();
        if (count > 0) optimizer.Step(model.Parameters);
        return (count, anyStop);
    }

    /// <summary>
    /// Where a diverged network went non-finite: its first parameter (in layer order) holding a NaN or ∞.
    /// </summary>
    internal static string DivergedWhere(INetwork model)
    {
        foreach (var p in model.Parameters)
        {
            var values = p.Data.ToArray();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0)
                return $"the first parameter holding a non-finite value is {p.Name} (element {bad}: {values[bad]})";
        }
        return "every parameter is still finite, so the forward pass overflowed (the logits or the loss)";
    }

    public static ConvAlgorithm ParseConvAlgorithm(string name) => name.Trim().ToLowerInvariant() switch
    {
        "auto" => ConvAlgorithm.Auto,
        "direct" => ConvAlgorithm.Direct,
        "im2col" or "im2col-gemm" => ConvAlgorithm.Im2colGemm,
        "measure" => ConvAlgorithm.Measure,
        _ => throw new ArgumentException($"--conv-algorithm '{name}' is unknown; use auto, direct, im2col or measure"),
    };

    /// <summary>
    /// The whole job: <see cref="TrainingRun.Open"/>, then an epoch trained and saved at a time until --epochs, then
    /// the best checkpoint on the test split.
    /// </summary>
    /// <remarks>
    /// With <paramref name="ranks"/> of several processes (mpirun) every rank calls this alike: each trains on its part
    /// of every batch, and rank 0 alone writes the run folder (see <see cref="TrainingRun"/>).
    /// </remarks>
    public static TrainResult Run(TrainOptions o, ITrainingObserver obs, bool resume = false,
        CancellationToken ct = default, IGradientReducer? ranks = null, NetworkDescription? network = null)
    {
        using var run = TrainingRun.Open(o, obs, resume, ct, ranks, network);
        while (run.Epoch < o.Epochs)
        {
            var (metrics, best) = run.TrainEpoch(ct);
            run.SaveEpoch(best);
            obs.EpochCompleted(metrics, best);
        }
        return run.Result(run.Test(ct));
    }
}

/// <summary>
/// Opens the devices of a run at once (a bad device name fails before any data is read) and, once the class count is
/// known, the described network on them: a <see cref="Model"/> on one device, or the two towers
/// (<see cref="TwoTowerAlexNet"/>) on two. Disposes both.
/// </summary>
public sealed class RunNetwork : IDisposable
{
    private readonly Accelerator[] _devices;
    private INetwork? _network;

    public RunNetwork(NetworkDescription description, string device, string? devices, ITrainingObserver obs,
        ConvAlgorithm convolution = ConvAlgorithm.Auto)
    {
        Description = description;
        _devices = GpuNet.Runtime.Devices.OpenRun(device, devices);
        foreach (var d in _devices)
        {
            if (d is IlgpuAccelerator il) il.ConvAlgorithm = convolution;
            obs.Message($"device: {d.Name} ({d.Description})");
        }
    }

    public NetworkDescription Description { get; }

    /// <summary>
    /// The convolution algorithms the devices measured (ConvAlgorithm.Measure), as "device op shape: choice".
    /// </summary>
    public IReadOnlyList<string> ConvChoices => _devices.OfType<IlgpuAccelerator>()
        .SelectMany(d => d.ConvChoices.Select(c => $"{d.Name} {c.Key.Op} {c.Key.G}: {c.Value}")).Order().ToList();

    public INetwork Network => _network ?? throw new InvalidOperationException("Build the network first");

    public void Build(int classes) =>
        _network = _devices.Length == 1 ? Description.Build(_devices[0], classes)
            : new TwoTowerAlexNet(Description, _devices[0], _devices[1], classes);

    /// <summary>
    /// Initial weights. A split network gets exactly the weights of the single-device model with the same seed
    /// (initialised on the host, then its row blocks copied to the towers).
    /// </summary>
    public void Initialize(InitScheme scheme, Rng rng)
    {
        if (Network is Model m) { Initializer.Apply(m, scheme, rng); return; }
        var split = (TwoTowerAlexNet)Network;
        using var host = new GpuNet.Runtime.Cpu.CpuAccelerator();
        using var single = Description.Build(host, split.Classes);
        Initializer.Apply(single, scheme, rng);
        split.LoadFrom(single);
    }

    public void Dispose()
    {
        _network?.Dispose();
        foreach (var d in _devices) d.Dispose();
    }
}

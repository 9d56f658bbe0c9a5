using System.Diagnostics;
using System.Text.Json;
using GpuNet.Charts;
using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;

namespace GpuNet.Training;

/// <summary>Training stopped because the loss became non-finite; the message names the epoch, batches and parameter.</summary>
public sealed class DivergenceException(string message) : Exception(message);

public sealed record TrainResult(string RunDirectory, double BestValidationAccuracy, int BestEpoch, EvaluationResult? Test,
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

    /// <summary>Seconds between progress updates, each reading the running loss and accuracy back from the device.</summary>
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
        var z = model.Forward(input, labels.Length, training: true);
        loss.Compute(z, labels);
        loss.Accumulate(stats);
        model.Backward(loss.Backward());
        optimizer.Step(model.Parameters);
    }

    /// <summary>Where a diverged network went non-finite: its first parameter (in layer order) holding a NaN or ∞.</summary>
    private static string DivergedWhere(INetwork model)
    {
        foreach (var p in model.Parameters)
        {
            var values = p.Data.ToArray();
            int bad = Array.FindIndex(values, v => !float.IsFinite(v));
            if (bad >= 0) return $"the first parameter holding a non-finite value is {p.Name} (element {bad}: {values[bad]})";
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

    public static TrainResult Run(TrainOptions o, ITrainingObserver obs, bool resume = false, CancellationToken ct = default)
    {
        o.Validate();
        string modelName = ModelZoo.Canonical(o.Model);
        var scheme = Initializer.Parse(o.Init);
        var schedule = LearningRateSchedule.Parse(o.Schedule);
        var lossKind = ParseLoss(o.Loss);
        // created before any loading, so a bad optimizer name fails at once; its state is allocated on first use
        using var optimizer = Optimizer.Create(o.Optimizer, o.LearningRate, o.WeightDecay, o.L1, o.Momentum);
        string runDir = o.Out;
        if (!resume)
        {
            RunFolder.CheckNew(runDir, o.Overwrite);
            Directory.CreateDirectory(runDir);
        }
        CheckpointFile? resumeFrom = resume ? Checkpoint.Read(Path.Combine(runDir, LastCheckpoint)) : null;
        RunFolder.RemoveStaleTemps(runDir, obs);

        // ---- devices, data
        using var net = new NetworkBuilder(modelName, o.Device, o.Devices, obs, ParseConvAlgorithm(o.ConvAlgorithm));
        var data = TrainingData.Open(o, obs, ct);
        var classes = data.Classes;
        if (resumeFrom is not null && resumeFrom.GetJson<string[]>("classes") is { } saved && !saved.SequenceEqual(classes))
            throw new CheckpointException($"{resumeFrom.Path}: the run was trained on classes {string.Join(", ", saved)}, {o.Data} has {string.Join(", ", classes)}");
        net.Build(classes.Length);
        var model = net.Network;

        // ---- transforms and normalisation (training statistics, kept in the checkpoint)
        var (trainSpec, evalSpec) = o.TransformSpecs();
        var trainSteps = Transform.ParseSteps(trainSpec);
        var evalSteps = Transform.ParseSteps(evalSpec);
        if (evalSteps.Any(st => st.IsRandom)) throw new ArgumentException($"--eval-transform '{evalSpec}' has random steps; evaluation must be deterministic");
        float[] mean, std;
        ColorPca? lighting = null;
        if (resumeFrom is null)
        {
            var sample = data.Cached ? data.Train.Readable().Select(i => data.Train.Get(i)!) : data.Sample(1000);
            (mean, std) = ChannelStatistics.Of(sample, model.InputShape[0]);
            if (trainSteps.Any(st => st is PcaColor) && model.InputShape[0] == 3) lighting = ColorPca.Fit(data.Sample(500));
        }
        else
        {
            (mean, std) = (resumeFrom.GetJson<float[]>("mean"), resumeFrom.GetJson<float[]>("std"));
            if (resumeFrom.Metadata.ContainsKey("color_pca")) lighting = resumeFrom.GetJson<ColorPca>("color_pca");
        }
        var trainTf = new Transform(trainSteps, model.InputShape, mean, std, lighting);
        var evalTf = new Transform(evalSteps, model.InputShape, mean, std);
        var testTf = o.TenCrop ? new Transform(Transform.ParseSteps(ModelZoo.TenCropOf(evalSpec)), model.InputShape, mean, std) : evalTf;
        if (o.TenCrop && !testTf.Steps.Any(st => st is TenCrop))
            throw new ArgumentException($"--ten-crop needs a center-crop step in the evaluation transform, and '{evalSpec}' has none");
        var trainLoader = new BatchLoader(data.Train, trainTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        var valLoader = new BatchLoader(data.Validation, evalTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        obs.Message($"data: {data.Splits.Layout}; {data.Train.Count} training, {data.Validation.Count} validation, {data.Test?.Count ?? 0} test images, {classes.Length} classes");
        obs.Message($"transforms: train [{(trainSpec == "" ? "as is" : trainSpec)}], eval [{(evalSpec == "" ? "as is" : evalSpec)}]{(o.TenCrop ? ", test with ten crops" : "")}; " +
            $"{trainLoader.Workers} loader threads, {o.Prefetch} batches ahead");
        // the new run has its data and model: only now are an old run's files removed (--overwrite)
        if (resumeFrom is null) RunFolder.ClearOldRun(runDir);
        int skippedReported = 0;
        void ReportSkipped()
        {
            int before = skippedReported;
            if (data.WriteSkipped(runDir) is int count && count > before)
            {
                obs.Warning($"skipped {count} unreadable image{(count == 1 ? "" : "s")} (listed in " +
                    $"{Path.Combine(runDir, SkippedFile)}); first: {data.Bad.Messages[0]}");
                skippedReported = count;
            }
        }
        ReportSkipped();

        var rng = new Rng(o.Seed);
        using var loss = new Loss(model.OutputDevice, lossKind);
        var history = new List<EpochMetrics>();
        int startEpoch = 0, bestEpoch = 0;
        double bestVal = double.NegativeInfinity;
        if (resumeFrom is null)
        {
            net.Initialize(scheme, rng);
        }
        else
        {
            Checkpoint.LoadNetwork(model, resumeFrom, optimizer);
            rng.State = resumeFrom.GetJson<ulong[]>("rng");
            optimizer.StepCount = int.Parse(resumeFrom.Get("optimizer_step"));
            optimizer.LearningRate = float.Parse(resumeFrom.Get("learning_rate"), System.Globalization.CultureInfo.InvariantCulture);
            startEpoch = int.Parse(resumeFrom.Get("epoch"));
            model.Step = long.Parse(resumeFrom.Get("step"));
            bestVal = double.Parse(resumeFrom.Get("best_val_accuracy"), System.Globalization.CultureInfo.InvariantCulture);
            bestEpoch = int.Parse(resumeFrom.Get("best_epoch"));
            schedule.Best = double.Parse(resumeFrom.Get("schedule_best"), System.Globalization.CultureInfo.InvariantCulture);
            schedule.Stale = int.Parse(resumeFrom.Get("schedule_stale"));
            history.AddRange(Metrics.ReadCsv(Path.Combine(runDir, MetricsFile)).Where(m => m.Epoch <= startEpoch));
            obs.Message($"resuming {runDir} after epoch {startEpoch} of {o.Epochs}");
        }
        obs.Message($"model: {modelName}, {model.ParameterCount:N0} parameters; optimizer {o.Optimizer} lr {optimizer.LearningRate:G3}, batch {o.Batch}, schedule {schedule}");

        Dictionary<string, string> Meta(int epoch)
        {
            var meta = new Dictionary<string, string>
            {
                ["model"] = modelName,
                ["classes"] = JsonSerializer.Serialize(classes),
                ["input_shape"] = JsonSerializer.Serialize(model.InputShape),
                ["mean"] = JsonSerializer.Serialize(mean),
                ["std"] = JsonSerializer.Serialize(std),
                ["eval_transform"] = evalSpec,
                ["options"] = JsonSerializer.Serialize(o),
                ["epoch"] = epoch.ToString(),
                ["step"] = model.Step.ToString(),
                ["rng"] = JsonSerializer.Serialize(rng.State),
                ["optimizer"] = optimizer.Name,
                ["optimizer_step"] = optimizer.StepCount.ToString(),
                ["learning_rate"] = optimizer.LearningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ["best_val_accuracy"] = bestVal.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ["best_epoch"] = bestEpoch.ToString(),
                ["schedule_best"] = schedule.Best.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
                ["schedule_stale"] = schedule.Stale.ToString(),
            };
            if (lighting is not null) meta["color_pca"] = JsonSerializer.Serialize(lighting);
            if (net.ConvChoices.Count > 0) meta["conv_choices"] = JsonSerializer.Serialize(net.ConvChoices);
            return meta;
        }

        // ---- epochs
        using var stats = model.OutputDevice.Allocate(2);   // Σ loss·n and correct count, accumulated on the device
        var statsHost = new float[2];
        for (int epoch = startEpoch + 1; epoch <= o.Epochs; epoch++)
        {
            // a fresh permutation of the readable images: the order depends on the RNG state alone, so a resumed run matches
            var order = data.Train.Readable();
            rng.Shuffle(order);
            int batches = (order.Length + o.Batch - 1) / o.Batch;
            obs.EpochStarted(epoch, o.Epochs, batches);
            var clock = Stopwatch.StartNew();
            double lossSum = 0, lastRead = 0; long correct = 0, seen = 0;
            int b = 0, readAt = 0;
            model.OutputDevice.Fill(stats, 0f);
            // the only read-back of training: the running sums, once per progress update (and at the epoch's end)
            void ReadStats()
            {
                model.OutputDevice.CopyToHost(stats, statsHost);
                if (!float.IsFinite(statsHost[0]))
                    throw new DivergenceException($"training diverged at epoch {epoch}, between batches {readAt + 1} and {b}: " +
                        $"the loss is {statsHost[0]}; {DivergedWhere(model)}; lower --lr (now {optimizer.LearningRate:G3})");
                (lossSum, correct, readAt, lastRead) = (statsHost[0], (long)statsHost[1], b, clock.Elapsed.TotalSeconds);
                obs.BatchCompleted(epoch, b, batches, lossSum / seen, seen / clock.Elapsed.TotalSeconds);
            }
            foreach (var bt in trainLoader.Run(order, epoch, ct: ct))
            {
                int n = bt.Count;
                b++;
                Step(model, loss, optimizer, bt.Input.AsSpan(0, n * trainTf.SampleSize), bt.Labels.AsSpan(0, n), stats);
                seen += n;
                if (clock.Elapsed.TotalSeconds - lastRead >= ProgressSeconds) ReadStats();
            }
            if (seen > 0 && readAt != b) ReadStats();
            double seconds = clock.Elapsed.TotalSeconds, waited = trainLoader.Waited.TotalSeconds;
            if (seen == 0) throw new DataException($"{data.Train.Files.Directory}: no training image could be read (first: {data.Bad.Messages.FirstOrDefault()})");
            var val = data.Validation.Count > 0
                ? Evaluator.Evaluate(model, valLoader, data.Validation.Readable(), loss, ct: ct) : null;
            ReportSkipped();
            double valAcc = val?.Accuracy ?? correct / (double)seen;
            bool best = valAcc > bestVal;
            var m = new EpochMetrics(epoch, lossSum / seen, correct / (double)seen, val?.Loss ?? double.NaN, val?.Accuracy ?? double.NaN,
                optimizer.LearningRate, seconds, seen / seconds, waited);
            history.Add(m);
            if (best) { bestVal = valAcc; bestEpoch = epoch; }
            optimizer.LearningRate = schedule.Next(optimizer.LearningRate, epoch, valAcc);
            Metrics.WriteCsv(Path.Combine(runDir, MetricsFile), history);
            TrainingCurves.Write(runDir, CurvesChart, history, TrainingCurves.Title(modelName, o.Data));
            Checkpoint.Save(Path.Combine(runDir, LastCheckpoint), Meta(epoch), Checkpoint.NetworkTensors(model, optimizer));
            // a copy through a temporary file: a kill or a full disk during it keeps the previous best.ckpt
            if (best)
                AtomicFile.Copy(Path.Combine(runDir, LastCheckpoint), Path.Combine(runDir, BestCheckpoint),
                    "checkpoint");
            obs.EpochCompleted(m, best);
        }

        // ---- test the best checkpoint
        EvaluationResult? testResult = null;
        if (data.Test is not null && File.Exists(Path.Combine(runDir, BestCheckpoint)))
        {
            Checkpoint.LoadNetwork(model, Checkpoint.Read(Path.Combine(runDir, BestCheckpoint)));
            var testLoader = new BatchLoader(data.Test, testTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
            testResult = Evaluator.Evaluate(model, testLoader, data.Test.Readable(), loss,
                o.TenCrop ? TenCrop.Views : 1, ct);
            ReportSkipped();
        }
        long rss = Process.GetCurrentProcess().PeakWorkingSet64;
        return new TrainResult(runDir, bestVal, bestEpoch, testResult, model.Devices.Select(d => d.PeakBytes).ToArray(), rss, history, data.Bad.Count);
    }
}

/// <summary>
/// Opens the devices of a run at once (a bad device name fails before any data is read) and, once the class count is known, the network on them: a <see cref="Model"/> on one device,
/// or the <see cref="TwoTowerAlexNet"/> on two. Disposes both.
/// </summary>
public sealed class NetworkBuilder : IDisposable
{
    private readonly Accelerator[] _devices;
    private readonly string _model;
    private INetwork? _network;

    public NetworkBuilder(string model, string device, string? devices, ITrainingObserver obs,
        ConvAlgorithm convolution = ConvAlgorithm.Auto)
    {
        _model = ModelZoo.Canonical(model);
        if (devices is not null && _model == "lenet5")
            throw new ArgumentException("--devices splits AlexNet's two towers; use --model alexnet or alexnet-small");
        _devices = GpuNet.Runtime.Devices.OpenRun(device, devices);
        foreach (var d in _devices)
        {
            if (d is IlgpuAccelerator il) il.ConvAlgorithm = convolution;
            obs.Message($"device: {d.Name} ({d.Description})");
        }
    }

    /// <summary>The convolution algorithms the devices measured (ConvAlgorithm.Measure), as "device op shape: choice".</summary>
    public IReadOnlyList<string> ConvChoices => _devices.OfType<IlgpuAccelerator>()
        .SelectMany(d => d.ConvChoices.Select(c => $"{d.Name} {c.Key.Op} {c.Key.G}: {c.Value}")).Order().ToList();

    public INetwork Network => _network ?? throw new InvalidOperationException("Build the network first");

    public void Build(int classes) =>
        _network = _devices.Length == 1 ? ModelZoo.Create(_model, _devices[0], classes) : new TwoTowerAlexNet(_model, _devices[0], _devices[1], classes);

    /// <summary>
    /// Initial weights. A split network gets exactly the weights of the single-device model with the same seed
    /// (initialised on the host, then its row blocks copied to the towers).
    /// </summary>
    public void Initialize(InitScheme scheme, Rng rng)
    {
        if (Network is Model m) { Initializer.Apply(m, scheme, rng); return; }
        var split = (TwoTowerAlexNet)Network;
        using var host = new GpuNet.Runtime.Cpu.CpuAccelerator();
        using var single = ModelZoo.Create(_model, host, split.Classes);
        Initializer.Apply(single, scheme, rng);
        split.LoadFrom(single);
    }

    public void Dispose()
    {
        _network?.Dispose();
        foreach (var d in _devices) d.Dispose();
    }
}

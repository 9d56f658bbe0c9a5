using System.Diagnostics;
using System.Text.Json;
using GpuNet.Charts;
using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Training;

/// <summary>
/// One training run in its three steps: <see cref="Open"/> (devices, data, transforms, the model new or restored from
/// last.ckpt), <see cref="TrainEpoch"/> and <see cref="SaveEpoch"/> once an epoch, <see cref="Test"/> at the end.
/// What changes from epoch to epoch is the network, the optimizer and <see cref="State"/>; the rest is fixed at Open.
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private readonly TrainOptions _o;
    private readonly ITrainingObserver _obs;
    private readonly NetworkBuilder _net;
    private readonly TrainingData _data;
    private readonly Optimizer _optimizer;
    private readonly LearningRateSchedule _schedule;
    private readonly Loss _loss;
    private readonly Rng _rng;
    private readonly Transform _trainTf, _testTf;
    private readonly BatchLoader _trainLoader, _valLoader;
    private readonly Tensor _stats;      // Σ loss·n and the correct count, accumulated on the device
    private readonly float[] _statsHost = new float[2];
    /// <summary>The fixed part of every checkpoint: what the model is and how its inputs are prepared.</summary>
    private readonly Dictionary<string, string> _description;
    private readonly List<EpochMetrics> _history = [];
    private int _skippedReported;

    public string ModelName { get; }
    public string RunDirectory => _o.Out;
    public INetwork Model => _net.Network;
    /// <summary>The last completed epoch, the best one so far and the plateau schedule's counters.</summary>
    public int Epoch { get; private set; }
    public int BestEpoch { get; private set; }
    public double BestValidationAccuracy { get; private set; } = double.NegativeInfinity;
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>The run's progress as saved in a checkpoint after <see cref="Epoch"/>.</summary>
    public RunState State => new()
    {
        Epoch = Epoch,
        Step = Model.Step,
        Rng = _rng.State,
        OptimizerStep = _optimizer.StepCount,
        LearningRate = _optimizer.LearningRate,
        BestValidationAccuracy = BestValidationAccuracy,
        BestEpoch = BestEpoch,
        ScheduleBest = _schedule.Best,
        ScheduleStale = _schedule.Stale,
    };

    /// <summary>
    /// Sets a run up: validates the options, opens the devices (a bad name fails before any data is read) and the data,
    /// builds the model and its transforms, then initialises the weights or, when resuming, restores weights, optimizer,
    /// state and history from last.ckpt and metrics.csv.
    /// </summary>
    public static TrainingRun Open(TrainOptions o, ITrainingObserver obs, bool resume = false,
        CancellationToken ct = default)
    {
        o.Validate();
        // parsed before any loading, so a bad name fails at once
        var scheme = Initializer.Parse(o.Init);
        var schedule = LearningRateSchedule.Parse(o.Schedule);
        var lossKind = Trainer.ParseLoss(o.Loss);
        var optimizer = Optimizer.Create(o.Optimizer, o.LearningRate, o.WeightDecay, o.L1, o.Momentum);
        NetworkBuilder? net = null;
        try
        {
            if (!resume)
            {
                RunFolder.CheckNew(o.Out, o.Overwrite);
                Directory.CreateDirectory(o.Out);
            }
            var last = resume ? Checkpoint.Read(Path.Combine(o.Out, Trainer.LastCheckpoint)) : null;
            RunFolder.RemoveStaleTemps(o.Out, obs);
            net = new NetworkBuilder(o.Model, o.Device, o.Devices, obs, Trainer.ParseConvAlgorithm(o.ConvAlgorithm));
            var data = TrainingData.Open(o, obs, ct);
            return new TrainingRun(o, obs, net, data, optimizer, schedule, lossKind, scheme, last);
        }
        catch
        {
            net?.Dispose();
            optimizer.Dispose();
            throw;
        }
    }

    private TrainingRun(TrainOptions o, ITrainingObserver obs, NetworkBuilder net, TrainingData data,
        Optimizer optimizer, LearningRateSchedule schedule, LossKind lossKind, InitScheme scheme, CheckpointFile? last)
    {
        (_o, _obs, _net, _data, _optimizer, _schedule) = (o, obs, net, data, optimizer, schedule);
        ModelName = ModelZoo.Canonical(o.Model);
        var classes = data.Classes;
        if (last is not null && last.GetJson<string[]>("classes") is { } saved && !saved.SequenceEqual(classes))
            throw new CheckpointException($"{last.Path}: the run was trained on classes {string.Join(", ", saved)}, " +
                $"{o.Data} has {string.Join(", ", classes)}");
        net.Build(classes.Length);

        // transforms and normalisation (training statistics, kept in the checkpoint)
        var (trainSpec, evalSpec) = o.TransformSpecs();
        var trainSteps = Transform.ParseSteps(trainSpec);
        var evalSteps = Transform.ParseSteps(evalSpec);
        if (evalSteps.Any(st => st.IsRandom))
            throw new ArgumentException($"--eval-transform '{evalSpec}' has random steps; evaluation must be deterministic");
        var (mean, std, lighting) = last is null ? Statistics(trainSteps) : SavedStatistics(last);
        var shape = Model.InputShape;
        _trainTf = new Transform(trainSteps, shape, mean, std, lighting);
        var evalTf = new Transform(evalSteps, shape, mean, std);
        _testTf = o.TenCrop ? new Transform(Transform.ParseSteps(ModelZoo.TenCropOf(evalSpec)), shape, mean, std) : evalTf;
        if (o.TenCrop && !_testTf.Steps.Any(st => st is TenCrop))
            throw new ArgumentException($"--ten-crop needs a center-crop step in the evaluation transform, and " +
                $"'{evalSpec}' has none");
        _trainLoader = new BatchLoader(data.Train, _trainTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        _valLoader = new BatchLoader(data.Validation, evalTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        obs.Message($"data: {data.Splits.Layout}; {data.Train.Count} training, {data.Validation.Count} validation, " +
            $"{data.Test?.Count ?? 0} test images, {classes.Length} classes");
        obs.Message($"transforms: train [{(trainSpec == "" ? "as is" : trainSpec)}], eval [{(evalSpec == "" ? "as is" : evalSpec)}]" +
            $"{(o.TenCrop ? ", test with ten crops" : "")}; {_trainLoader.Workers} loader threads, {o.Prefetch} batches ahead");
        // the new run has its data and model: only now are an old run's files removed (--overwrite)
        if (last is null) RunFolder.ClearOldRun(o.Out);
        ReportSkipped();

        _description = new Dictionary<string, string>
        {
            ["model"] = ModelName,
            ["classes"] = JsonSerializer.Serialize(classes),
            ["input_shape"] = JsonSerializer.Serialize(shape),
            ["mean"] = JsonSerializer.Serialize(mean),
            ["std"] = JsonSerializer.Serialize(std),
            ["eval_transform"] = evalSpec,
            ["options"] = JsonSerializer.Serialize(o),
            ["optimizer"] = optimizer.Name,
        };
        if (lighting is not null) _description["color_pca"] = JsonSerializer.Serialize(lighting);

        _rng = new Rng(o.Seed);
        _loss = new Loss(Model.OutputDevice, lossKind);
        _stats = Model.OutputDevice.Allocate(2);
        if (last is null) net.Initialize(scheme, _rng);
        else Restore(last);
        obs.Message($"model: {ModelName}, {Model.ParameterCount:N0} parameters; optimizer {o.Optimizer} " +
            $"lr {optimizer.LearningRate:G3}, batch {o.Batch}, schedule {schedule}");
    }

    private (float[] Mean, float[] Std, ColorPca? Lighting) Statistics(IReadOnlyList<ImageStep> trainSteps)
    {
        var sample = _data.Cached ? _data.Train.Readable().Select(i => _data.Train.Get(i)!) : _data.Sample(1000);
        var (mean, std) = ChannelStatistics.Of(sample, Model.InputShape[0]);
        bool pca = trainSteps.Any(st => st is PcaColor) && Model.InputShape[0] == 3;
        return (mean, std, pca ? ColorPca.Fit(_data.Sample(500)) : null);
    }

    private static (float[] Mean, float[] Std, ColorPca? Lighting) SavedStatistics(CheckpointFile last) =>
        (last.GetJson<float[]>("mean"), last.GetJson<float[]>("std"),
            last.Metadata.ContainsKey("color_pca") ? last.GetJson<ColorPca>("color_pca") : null);

    /// <summary>Weights, optimizer tensors, state and the metrics of the epochs before, from last.ckpt.</summary>
    private void Restore(CheckpointFile last)
    {
        Checkpoint.LoadNetwork(Model, last, _optimizer);
        var s = RunState.Of(last);
        _rng.State = s.Rng;
        _optimizer.StepCount = s.OptimizerStep;
        _optimizer.LearningRate = s.LearningRate;
        Model.Step = s.Step;
        (Epoch, BestEpoch, BestValidationAccuracy) = (s.Epoch, s.BestEpoch, s.BestValidationAccuracy);
        (_schedule.Best, _schedule.Stale) = (s.ScheduleBest, s.ScheduleStale);
        _history.AddRange(Metrics.ReadCsv(Path.Combine(RunDirectory, Trainer.MetricsFile)).Where(m => m.Epoch <= Epoch));
        _obs.Message($"resuming {RunDirectory} after epoch {Epoch} of {_o.Epochs}");
    }

    /// <summary>
    /// Trains epoch <see cref="Epoch"/> + 1 on a fresh permutation of the readable training images and evaluates it on
    /// the validation split. The loss and correct count stay on the device and are read back once per progress update
    /// (<see cref="Trainer.ProgressSeconds"/>), where divergence is caught. Counts the epoch as done and applies the
    /// schedule; <see cref="SaveEpoch"/> writes it.
    /// </summary>
    public (EpochMetrics Metrics, bool Best) TrainEpoch(CancellationToken ct = default)
    {
        int epoch = Epoch + 1;
        var device = Model.OutputDevice;
        // the order depends on the RNG state alone, so a resumed run matches
        var order = _data.Train.Readable();
        _rng.Shuffle(order);
        int batches = (order.Length + _o.Batch - 1) / _o.Batch;
        _obs.EpochStarted(epoch, _o.Epochs, batches);
        var clock = Stopwatch.StartNew();
        double lossSum = 0, lastRead = 0;
        long correct = 0, seen = 0;
        int b = 0, readAt = 0;
        device.Fill(_stats, 0f);
        void ReadStats()
        {
            device.CopyToHost(_stats, _statsHost);
            if (!float.IsFinite(_statsHost[0]))
                throw new DivergenceException($"training diverged at epoch {epoch}, between batches {readAt + 1} and " +
                    $"{b}: the loss is {_statsHost[0]}; {Trainer.DivergedWhere(Model)}; lower --lr (now " +
                    $"{_optimizer.LearningRate:G3})");
            (lossSum, correct, readAt, lastRead) = (_statsHost[0], (long)_statsHost[1], b, clock.Elapsed.TotalSeconds);
            _obs.BatchCompleted(epoch, b, batches, lossSum / seen, seen / clock.Elapsed.TotalSeconds);
        }
        foreach (var bt in _trainLoader.Run(order, epoch, ct: ct))
        {
            int n = bt.Count;
            b++;
            Trainer.Step(Model, _loss, _optimizer, bt.Input.AsSpan(0, n * _trainTf.SampleSize), bt.Labels.AsSpan(0, n),
                _stats);
            seen += n;
            if (clock.Elapsed.TotalSeconds - lastRead >= Trainer.ProgressSeconds) ReadStats();
        }
        if (seen > 0 && readAt != b) ReadStats();
        double seconds = clock.Elapsed.TotalSeconds, waited = _trainLoader.Waited.TotalSeconds;
        if (seen == 0)
            throw new DataException($"{_data.Train.Files.Directory}: no training image could be read " +
                $"(first: {_data.Bad.Messages.FirstOrDefault()})");
        var val = _data.Validation.Count > 0
            ? Evaluator.Evaluate(Model, _valLoader, _data.Validation.Readable(), _loss, ct: ct) : null;
        ReportSkipped();
        double valAcc = val?.Accuracy ?? correct / (double)seen;
        var m = new EpochMetrics(epoch, lossSum / seen, correct / (double)seen, val?.Loss ?? double.NaN,
            val?.Accuracy ?? double.NaN, _optimizer.LearningRate, seconds, seen / seconds, waited);
        _history.Add(m);
        bool best = valAcc > BestValidationAccuracy;
        if (best) (BestValidationAccuracy, BestEpoch) = (valAcc, epoch);
        Epoch = epoch;
        _optimizer.LearningRate = _schedule.Next(_optimizer.LearningRate, epoch, valAcc);
        return (m, best);
    }

    /// <summary>
    /// Writes the epoch just trained: metrics.csv, the curves, last.ckpt and, when it is the best so far, best.ckpt
    /// (a copy through a temporary file: a kill or a full disk during it keeps the previous best.ckpt).
    /// </summary>
    public void SaveEpoch(bool best)
    {
        string dir = RunDirectory, last = Path.Combine(dir, Trainer.LastCheckpoint);
        Metrics.WriteCsv(Path.Combine(dir, Trainer.MetricsFile), _history);
        TrainingCurves.Write(dir, Trainer.CurvesChart, _history, TrainingCurves.Title(ModelName, _o.Data));
        var meta = new Dictionary<string, string>(_description) { [RunState.Key] = State.ToJson() };
        if (_net.ConvChoices.Count > 0) meta["conv_choices"] = JsonSerializer.Serialize(_net.ConvChoices);
        Checkpoint.Save(last, meta, Checkpoint.NetworkTensors(Model, _optimizer));
        if (best) AtomicFile.Copy(last, Path.Combine(dir, Trainer.BestCheckpoint), "checkpoint");
    }

    /// <summary>The best checkpoint on the test split (null without test images or without a best checkpoint).</summary>
    public EvaluationResult? Test(CancellationToken ct = default)
    {
        string bestFile = Path.Combine(RunDirectory, Trainer.BestCheckpoint);
        if (_data.Test is null || !File.Exists(bestFile)) return null;
        Checkpoint.LoadNetwork(Model, Checkpoint.Read(bestFile));
        var testLoader = new BatchLoader(_data.Test, _testTf, _o.Batch, _o.Workers, _o.Prefetch, _o.Seed);
        var result = Evaluator.Evaluate(Model, testLoader, _data.Test.Readable(), _loss, _o.TenCrop ? TenCrop.Views : 1,
            ct);
        ReportSkipped();
        return result;
    }

    public TrainResult Result(EvaluationResult? test) => new(RunDirectory, BestValidationAccuracy, BestEpoch, test,
        Model.Devices.Select(d => d.PeakBytes).ToArray(), Process.GetCurrentProcess().PeakWorkingSet64, _history,
        _data.Bad.Count);

    /// <summary>Warns once more whenever more unreadable images were found (listed in skipped.txt).</summary>
    private void ReportSkipped()
    {
        if (_data.WriteSkipped(RunDirectory) is int count && count > _skippedReported)
        {
            _obs.Warning($"skipped {count} unreadable image{(count == 1 ? "" : "s")} (listed in " +
                $"{Path.Combine(RunDirectory, Trainer.SkippedFile)}); first: {_data.Bad.Messages[0]}");
            _skippedReported = count;
        }
    }

    public void Dispose()
    {
        _stats?.Dispose();
        _loss?.Dispose();
        _optimizer.Dispose();
        _net.Dispose();
    }
}

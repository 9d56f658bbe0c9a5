using System.Diagnostics;
using System.Text.Json;
using GpuNet.Charts;
using GpuNet.Data;
using GpuNet.Distributed;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Training;

/// <summary>
/// One training run in its three steps: <see cref="Open"/> (devices, data, transforms, the model new or restored from
/// last.ckpt), <see cref="TrainEpoch"/> and <see cref="SaveEpoch"/> once an epoch, <see cref="Test"/> at the end.
/// What changes from epoch to epoch is the network, the optimizer and <see cref="State"/>; the rest is fixed at Open.
/// </summary>
/// <remarks>
/// Data parallel (several <see cref="IGradientReducer"/> ranks, under mpirun): every rank opens the same run (same
/// seed: same weights, same validation split, same order every epoch) on its own devices, trains on its part of each
/// global batch of --batch images with the gradients reduced over the ranks, so every rank applies the update a single
/// process would; batch-norm running statistics are averaged over the ranks before each evaluation; validation and
/// test images are split between the ranks and their counts summed. Rank 0 alone writes the run folder and reports;
/// the checkpoints are the single-process ones, so any number of ranks (or one process) resumes them.
/// </remarks>
public sealed class TrainingRun : IDisposable
{
    private readonly TrainOptions _o;
    private readonly ITrainingObserver _obs;
    private readonly IGradientReducer _ranks;
    /// <summary>Several ranks train this run (mpirun); rank 0 writes its files.</summary>
    private bool Parallel => _ranks.Size > 1;
    private bool Writes => _ranks.Rank == 0;
    /// <summary>The best epoch's weights, kept by every rank of a parallel run for the test (host copies).</summary>
    private float[][]? _bestWeights;
    private readonly RunNetwork _net;
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
    /// builds the model and its transforms, then initialises the weights or, when resuming, restores weights,
    /// optimizer, state and history from last.ckpt and metrics.csv.
    /// </summary>
    /// <remarks>
    /// The network: when resuming, the description last.ckpt holds (the file it came from may be gone or edited);
    /// else <paramref name="network"/>, else the file <see cref="TrainOptions.Network"/>, else the shipped
    /// <see cref="TrainOptions.Model"/>.
    /// </remarks>
    public static TrainingRun Open(TrainOptions o, ITrainingObserver obs, bool resume = false,
        CancellationToken ct = default, IGradientReducer? ranks = null, NetworkDescription? network = null)
    {
        o.Validate();
        ranks ??= new SingleProcessReducer();
        if (o.Batch < ranks.Size)
            throw new ArgumentException($"--batch {o.Batch} is smaller than the {ranks.Size} ranks of this job: each " +
                "rank takes its part of every batch; give at least one image per rank");
        // parsed before any loading, so a bad name fails at once
        var scheme = Initializer.Parse(o.Init);
        var schedule = LearningRateSchedule.Parse(o.Schedule);
        var lossKind = Trainer.ParseLoss(o.Loss);
        var optimizer = Optimizer.Create(o.Optimizer, o.LearningRate, o.WeightDecay, o.L1, o.Momentum);
        RunNetwork? net = null;
        try
        {
            bool writes = ranks.Rank == 0;
            // a new run's network is checked (types, settings, inputs) before anything is created or read
            var fresh = resume ? null
                : network ?? (o.Network is { } file ? NetworkDescription.Load(file) : ModelZoo.Describe(o.Model));
            if (fresh is not null) fresh.Check();
            if (!resume && writes)
            {
                RunFolder.CheckNew(o.Out, o.Overwrite);
                Directory.CreateDirectory(o.Out);
            }
            // every rank of a parallel run reads last.ckpt: the run folder must be where each rank sees it
            var last = resume ? Checkpoint.Read(Path.Combine(o.Out, Trainer.LastCheckpoint)) : null;
            if (writes) RunFolder.RemoveStaleTemps(o.Out, obs);
            var description = last is not null ? Checkpoint.Description(last) : fresh!;
            o = o with { Model = description.Name };
            var (device, devices) = DataParallel.DevicesFor(ranks, o.Device, o.Devices);
            net = new RunNetwork(description, device, devices, obs, Trainer.ParseConvAlgorithm(o.ConvAlgorithm));
            var data = TrainingData.Open(o, description, obs, ct);
            return new TrainingRun(o, obs, ranks, net, data, optimizer, schedule, lossKind, scheme, last);
        }
        catch
        {
            net?.Dispose();
            optimizer.Dispose();
            throw;
        }
    }

    private TrainingRun(TrainOptions o, ITrainingObserver obs, IGradientReducer ranks, RunNetwork net,
        TrainingData data, Optimizer optimizer, LearningRateSchedule schedule, LossKind lossKind, InitScheme scheme,
        CheckpointFile? last)
    {
        (_o, _obs, _ranks, _net, _data, _optimizer, _schedule) = (o, obs, ranks, net, data, optimizer, schedule);
        ModelName = net.Description.Name;
        var classes = data.Classes;
        if (last is not null && last.GetJson<string[]>("classes") is { } saved && !saved.SequenceEqual(classes))
            throw new CheckpointException($"{last.Path}: the run was trained on classes {string.Join(", ", saved)}, " +
                $"{o.Data} has {string.Join(", ", classes)}");
        net.Build(classes.Length);

        // transforms and normalisation (training statistics, kept in the checkpoint)
        var (trainSpec, evalSpec) = o.TransformSpecs(net.Description);
        var trainSteps = Transform.ParseSteps(trainSpec);
        var evalSteps = Transform.ParseSteps(evalSpec);
        if (evalSteps.Any(st => st.IsRandom))
            throw new ArgumentException(
                $"--eval-transform '{evalSpec}' has random steps; evaluation must be deterministic");
        var (mean, std, lighting) = last is null ? Statistics(trainSteps) : SavedStatistics(last);
        var shape = Model.InputShape;
        _trainTf = new Transform(trainSteps, shape, mean, std, lighting);
        var evalTf = new Transform(evalSteps, shape, mean, std);
        _testTf = o.TenCrop ? new Transform(Transform.ParseSteps(ModelZoo.TenCropOf(evalSpec)), shape, mean, std)
            : evalTf;
        if (o.TenCrop && !_testTf.Steps.Any(st => st is TenCrop))
            throw new ArgumentException($"--ten-crop needs a center-crop step in the evaluation transform, and " +
                $"'{evalSpec}' has none");
        _trainLoader = new BatchLoader(data.Train, _trainTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        _valLoader = new BatchLoader(data.Validation, evalTf, o.Batch, o.Workers, o.Prefetch, o.Seed);
        obs.Message($"data: {data.Splits.Layout}; {data.Train.Count} training, {data.Validation.Count} validation, " +
            $"{data.Test?.Count ?? 0} test images, {classes.Length} classes");
        obs.Message(
            $"transforms: train [{(trainSpec == "" ? "as is" : trainSpec)}], eval " +
            $"[{(evalSpec == "" ? "as is" : evalSpec)}]" +
            $"{(o.TenCrop ? ", test with ten crops" : "")}; {_trainLoader.Workers} loader threads, {o.Prefetch} " +
            "batches ahead");
        // the new run has its data and model: only now are an old run's files removed (--overwrite)
        if (last is null && Writes) RunFolder.ClearOldRun(o.Out);
        ReportSkipped();

        _description = new Dictionary<string, string>
        {
            ["model"] = ModelName,
            [Checkpoint.NetworkKey] = net.Description.ToYaml(),
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
        if (Parallel)
            obs.Message($"data parallel: {ranks.Size} ranks ({ranks.LocalSize} on this machine), each on about " +
                $"{(o.Batch + ranks.Size - 1) / ranks.Size} images of every batch of {o.Batch}; gradients summed " +
                "over MPI in buckets during backward");
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
        _history.AddRange(Metrics.ReadCsv(Path.Combine(RunDirectory, Trainer.MetricsFile))
            .Where(m => m.Epoch <= Epoch));
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
        // seen: the global batches' images; mine: this rank's (the same alone), whose loss and correct count it sums
        long correct = 0, seen = 0, mine = 0;
        int b = 0, readAt = 0;
        device.Fill(_stats, 0f);
        _ranks.TakeTimes();
        void ReadStats()
        {
            device.CopyToHost(_stats, _statsHost);
            if (!float.IsFinite(_statsHost[0]))
                throw new DivergenceException($"training diverged at epoch {epoch}, between batches {readAt + 1} and " +
                    $"{b}: the loss is {_statsHost[0]}; {Trainer.DivergedWhere(Model)}; lower --lr (now " +
                    $"{_optimizer.LearningRate:G3})");
            (lossSum, correct, readAt, lastRead) = (_statsHost[0], (long)_statsHost[1], b, clock.Elapsed.TotalSeconds);
            _obs.BatchCompleted(epoch, b, batches, lossSum / Math.Max(mine, 1), seen / clock.Elapsed.TotalSeconds);
        }
        // ranks stop together: a stop request travels with a step's gradients, and every rank ends after that step
        foreach (var bt in _trainLoader.Run(order, epoch, ct: Parallel ? default : ct,
                     shard: Parallel ? _ranks.Shard : null))
        {
            int n = bt.Count;
            b++;
            var input = bt.Input.AsSpan(0, n * _trainTf.SampleSize);
            if (Parallel)
            {
                DataParallel.InjectedFailure(_ranks, epoch, b);
                // where this rank's images start in the global batch (its dropout masks are a single process's)
                Model.FirstSample = _ranks.Shard.Of(Math.Min(_o.Batch, order.Length - (b - 1) * _o.Batch)).Start;
                var (count, stop) = Trainer.Step(Model, _loss, _optimizer, input, bt.Labels.AsSpan(0, n), _stats,
                    _ranks, ct.IsCancellationRequested);
                if (stop) throw new RanksStoppedException();
                seen += count;
            }
            else
            {
                Trainer.Step(Model, _loss, _optimizer, input, bt.Labels.AsSpan(0, n), _stats);
                seen += n;
            }
            mine += n;
            if (clock.Elapsed.TotalSeconds - lastRead >= Trainer.ProgressSeconds) ReadStats();
        }
        if (mine > 0 && readAt != b) ReadStats();
        if (Parallel) (lossSum, correct) = SumOverRanks(lossSum, correct, epoch);
        double seconds = clock.Elapsed.TotalSeconds, waited = _trainLoader.Waited.TotalSeconds;
        if (seen == 0)
            throw new DataException($"{_data.Train.Files.Directory}: no training image could be read " +
                $"(first: {_data.Bad.Messages.FirstOrDefault()})");
        DataParallel.AverageBuffers(_ranks, Model);
        var val = _data.Validation.Count > 0
            ? DataParallel.Sum(_ranks,
                Evaluator.Evaluate(Model, _valLoader, _ranks.Shard.Of(_data.Validation.Readable()), _loss, ct: ct))
            : null;
        ReportSkipped();
        double valAcc = val?.Accuracy ?? correct / (double)seen;
        var m = new EpochMetrics(epoch, lossSum / seen, correct / (double)seen, val?.Loss ?? double.NaN,
            val?.Accuracy ?? double.NaN, _optimizer.LearningRate, seconds, seen / seconds, waited);
        _history.Add(m);
        bool best = valAcc > BestValidationAccuracy;
        if (best) (BestValidationAccuracy, BestEpoch) = (valAcc, epoch);
        if (best && Parallel) _bestWeights = Model.Parameters.Select(p => p.Data.ToArray()).ToArray();
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
        if (!Writes) return;
        string dir = RunDirectory, last = Path.Combine(dir, Trainer.LastCheckpoint);
        Metrics.WriteCsv(Path.Combine(dir, Trainer.MetricsFile), _history);
        TrainingCurves.Write(dir, Trainer.CurvesChart, _history, TrainingCurves.Title(ModelName, _o.Data));
        var meta = new Dictionary<string, string>(_description) { [RunState.Key] = State.ToJson() };
        if (_net.ConvChoices.Count > 0) meta["conv_choices"] = JsonSerializer.Serialize(_net.ConvChoices);
        Checkpoint.Save(last, meta, Checkpoint.NetworkTensors(Model, _optimizer));
        if (best) AtomicFile.Copy(last, Path.Combine(dir, Trainer.BestCheckpoint), "checkpoint");
    }

    /// <summary>
    /// The best checkpoint on the test split (null without test images or without a best checkpoint).
    /// </summary>
    public EvaluationResult? Test(CancellationToken ct = default)
    {
        string bestFile = Path.Combine(RunDirectory, Trainer.BestCheckpoint);
        if (_data.Test is null) return null;
        if (Parallel && _bestWeights is not null)
        {
            // the weights of the best.ckpt rank 0 wrote in this run, from every rank's own copy (no shared folder)
            foreach (var (p, w) in Model.Parameters.Zip(_bestWeights)) p.Data.CopyFrom(w);
        }
        // alone, or a resumed parallel run whose best epoch came before (every rank reads the run folder then)
        else if (File.Exists(bestFile)) Checkpoint.LoadNetwork(Model, Checkpoint.Read(bestFile));
        else return null;
        var testLoader = new BatchLoader(_data.Test, _testTf, _o.Batch, _o.Workers, _o.Prefetch, _o.Seed);
        var part = Evaluator.Evaluate(Model, testLoader, _ranks.Shard.Of(_data.Test.Readable()), _loss,
            _o.TenCrop ? TenCrop.Views : 1, ct);
        var result = DataParallel.Sum(_ranks, part);
        ReportSkipped();
        return result;
    }

    /// <summary>
    /// The epoch's loss sum and correct count over every rank (each holds its own images'), and the time data
    /// parallelism added, reported by rank 0.
    /// </summary>
    private (double LossSum, long Correct) SumOverRanks(double lossSum, long correct, int epoch)
    {
        var times = _ranks.TakeTimes();
        Span<double> v = [lossSum, correct];
        _ranks.Sum(v);
        if (times.Steps > 0)
            _obs.Message($"epoch {epoch}: gradient reduction {times.Total.TotalMilliseconds / times.Steps:F2} ms " +
                $"per step on rank 0, of which {times.Waiting.TotalMilliseconds / times.Steps:F2} ms waiting after " +
                "backward");
        return (v[0], (long)v[1]);
    }

    public TrainResult Result(EvaluationResult? test) => new(RunDirectory, BestValidationAccuracy, BestEpoch, test,
        Model.Devices.Select(d => d.PeakBytes).ToArray(), Process.GetCurrentProcess().PeakWorkingSet64, _history,
        _data.Bad.Count);

    /// <summary>Warns once more whenever more unreadable images were found (listed in skipped.txt).</summary>
    private void ReportSkipped()
    {
        if (!Writes) return;
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

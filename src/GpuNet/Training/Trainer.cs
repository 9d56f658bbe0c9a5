using System.Diagnostics;
using System.Text.Json;
using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Training;

public sealed record TrainResult(string RunDirectory, double BestValidationAccuracy, int BestEpoch, EvaluationResult? Test,
    long PeakDeviceBytes, long PeakRssBytes, IReadOnlyList<EpochMetrics> History, int SkippedImages);

/// <summary>
/// The training job: image folder in, run folder out (metrics.csv, plot.svg, last.ckpt, best.ckpt, skipped.txt).
/// Holds out a seeded validation split, normalises with training statistics, shuffles every epoch, keeps the
/// checkpoint best on validation and evaluates it on the test split at the end. Resumable from last.ckpt.
/// </summary>
public sealed class Trainer
{
    public const string LastCheckpoint = "last.ckpt", BestCheckpoint = "best.ckpt", MetricsFile = "metrics.csv", PlotFile = "plot.svg";

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

    public static TrainResult Run(TrainOptions o, ITrainingObserver obs, bool resume = false, CancellationToken ct = default)
    {
        if (o.Epochs < 1) throw new ArgumentException($"--epochs must be at least 1, got {o.Epochs}");
        if (o.Batch < 1) throw new ArgumentException($"--batch must be at least 1, got {o.Batch}");
        if (o.ValidationFraction is < 0 or >= 1) throw new ArgumentException($"validation fraction must be in [0, 1), got {o.ValidationFraction}");
        string modelName = ModelZoo.Canonical(o.Model);
        var scheme = Initializer.Parse(o.Init);
        var schedule = LearningRateSchedule.Parse(o.Schedule);
        var lossKind = ParseLoss(o.Loss);
        // created before any loading, so a bad optimizer name fails at once; its state is allocated on first use
        using var optimizer = Optimizer.Create(o.Optimizer, o.LearningRate, o.WeightDecay, o.L1, o.Momentum);
        string runDir = o.Out;
        Directory.CreateDirectory(runDir);
        CheckpointFile? resumeFrom = resume ? Checkpoint.Read(Path.Combine(runDir, LastCheckpoint)) : null;

        using var acc = Devices.Open(o.Device);
        obs.Message($"device: {acc.Name} ({acc.Description})");

        // ---- data
        string trainDir = Path.Combine(o.Data, "train"), testDir = Path.Combine(o.Data, "test");
        if (!Directory.Exists(o.Data)) throw new DataException($"{o.Data}: data folder does not exist (data-scripts/mnist.sh DIR makes the MNIST one)");
        if (!Directory.Exists(trainDir)) throw new DataException($"{o.Data}: no train folder; expected {trainDir}/<class>/<image>.png and {testDir}/<class>/<image>.png");
        var skipped = new List<string>();
        var all = ImageFolder.Load(trainDir, null, o.Strict, skipped, (d, t) => obs.Loading("train images", d, t));
        ImageSet? test = Directory.Exists(testDir) ? ImageFolder.Load(testDir, all.Classes, o.Strict, skipped, (d, t) => obs.Loading("test images", d, t)) : null;
        if (skipped.Count > 0)
        {
            AtomicFile.WriteAllText(Path.Combine(runDir, "skipped.txt"), string.Join("\n", skipped) + "\n");
            obs.Warning($"skipped {skipped.Count} unreadable image{(skipped.Count == 1 ? "" : "s")} (listed in {Path.Combine(runDir, "skipped.txt")}); first: {skipped[0]}");
        }
        var (trainSet, valSet) = Split(all, o);
        obs.Message($"data: {trainSet.Count} training, {valSet.Count} validation, {test?.Count ?? 0} test images, {all.Classes.Length} classes, {all.Width}x{all.Height}x{all.Channels}");

        // ---- model, normalisation, optimiser
        using var model = ModelZoo.Create(modelName, acc, all.Classes.Length);
        float[] mean, std;
        if (resumeFrom is null)
        {
            var stats = trainSet.ChannelStatistics();
            (mean, std) = model.InputShape[0] == all.Channels ? stats
                : model.InputShape[0] == 1 ? ([stats.Mean.Average()], [stats.Std.Average()])
                : (Enumerable.Repeat(stats.Mean[0], model.InputShape[0]).ToArray(), Enumerable.Repeat(stats.Std[0], model.InputShape[0]).ToArray());
        }
        else (mean, std) = (resumeFrom.GetJson<float[]>("mean"), resumeFrom.GetJson<float[]>("std"));
        var builder = new BatchBuilder(model.InputShape, mean, std);
        builder.Validate(trainSet, trainDir);
        if (test is not null) builder.Validate(test, testDir);

        var rng = new Rng(o.Seed);
        using var loss = new Loss(acc, lossKind);
        var history = new List<EpochMetrics>();
        int startEpoch = 0, bestEpoch = 0;
        double bestVal = double.NegativeInfinity;
        if (resumeFrom is null)
        {
            Initializer.Apply(model, scheme, rng);
            File.Delete(Path.Combine(runDir, MetricsFile));
        }
        else
        {
            Checkpoint.LoadParameters(model, resumeFrom);
            foreach (var (key, t) in optimizer.StateTensors(model.Parameters))
                t.CopyFrom(resumeFrom.Tensors.TryGetValue("optimizer/" + key, out var s) ? s.Data
                    : throw new CheckpointException($"{resumeFrom.Path}: optimizer state '{key}' is missing"));
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

        Dictionary<string, string> Meta(int epoch) => new()
        {
            ["model"] = modelName,
            ["classes"] = JsonSerializer.Serialize(all.Classes),
            ["input_shape"] = JsonSerializer.Serialize(model.InputShape),
            ["mean"] = JsonSerializer.Serialize(mean),
            ["std"] = JsonSerializer.Serialize(std),
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
        IEnumerable<(string, Tensor)> StateTensors() =>
            model.Parameters.Select(p => (p.Name, p.Data)).Concat(optimizer.StateTensors(model.Parameters).Select(s => ("optimizer/" + s.Key, s.Tensor)));

        // ---- epochs
        int batch = o.Batch, k = model.Classes;
        using var x = acc.Allocate([batch, .. model.InputShape]);
        var host = new float[batch * builder.SampleSize];
        var labels = new int[batch];
        var logits = new float[batch * k];
        var order = Enumerable.Range(0, trainSet.Count).ToArray();
        int batches = (trainSet.Count + batch - 1) / batch;
        for (int epoch = startEpoch + 1; epoch <= o.Epochs; epoch++)
        {
            // a fresh permutation of the identity: the order depends on the RNG state alone, so a resumed run matches
            for (int i = 0; i < order.Length; i++) order[i] = i;
            rng.Shuffle(order);
            obs.EpochStarted(epoch, o.Epochs, batches);
            var clock = Stopwatch.StartNew();
            double lossSum = 0; long correct = 0, seen = 0;
            for (int b = 0; b < batches; b++)
            {
                ct.ThrowIfCancellationRequested();
                int start = b * batch, n = Math.Min(batch, trainSet.Count - start);
                builder.Fill(trainSet, order.AsSpan(start, n), host, labels);
                var xb = n == batch ? x : x.Slice(0, [n, .. model.InputShape]);
                xb.CopyFrom(host.AsSpan(0, n * builder.SampleSize));
                model.Step++;
                var z = model.Forward(xb, training: true);
                float l = loss.Forward(z, labels.AsSpan(0, n));
                acc.CopyToHost(z, logits);
                for (int i = 0; i < n; i++) if (Metrics.ArgMax(logits.AsSpan(i * k, k)) == labels[i]) correct++;
                model.Backward(loss.Backward());
                optimizer.Step(model.Parameters);
                if (!float.IsFinite(l))
                    throw new InvalidOperationException($"training diverged at epoch {epoch}, batch {b + 1}: loss is {l}; lower --lr (now {optimizer.LearningRate:G3})");
                lossSum += l * n; seen += n;
                obs.BatchCompleted(epoch, b + 1, batches, lossSum / seen, seen / clock.Elapsed.TotalSeconds);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            var val = valSet.Count > 0 ? Evaluator.Evaluate(model, valSet, builder, batch, loss) : null;
            double valAcc = val?.Accuracy ?? correct / (double)seen;
            bool best = valAcc > bestVal;
            var m = new EpochMetrics(epoch, lossSum / seen, correct / (double)seen, val?.Loss ?? double.NaN, val?.Accuracy ?? double.NaN,
                optimizer.LearningRate, seconds, seen / seconds);
            history.Add(m);
            if (best) { bestVal = valAcc; bestEpoch = epoch; }
            optimizer.LearningRate = schedule.Next(optimizer.LearningRate, epoch, valAcc);
            Metrics.WriteCsv(Path.Combine(runDir, MetricsFile), history);
            AtomicFile.WriteAllText(Path.Combine(runDir, PlotFile), Metrics.Svg(history, $"{modelName} on {Path.GetFileName(Path.GetFullPath(o.Data).TrimEnd('/'))}"));
            Checkpoint.Save(Path.Combine(runDir, LastCheckpoint), Meta(epoch), StateTensors());
            if (best) File.Copy(Path.Combine(runDir, LastCheckpoint), Path.Combine(runDir, BestCheckpoint), overwrite: true);
            obs.EpochCompleted(m, best);
        }

        // ---- test the best checkpoint
        EvaluationResult? testResult = null;
        if (test is not null && File.Exists(Path.Combine(runDir, BestCheckpoint)))
        {
            Checkpoint.LoadParameters(model, Checkpoint.Read(Path.Combine(runDir, BestCheckpoint)));
            testResult = Evaluator.Evaluate(model, test, builder, batch, loss);
        }
        long rss = Process.GetCurrentProcess().PeakWorkingSet64;
        return new TrainResult(runDir, bestVal, bestEpoch, testResult, acc.PeakBytes, rss, history, skipped.Count);
    }

    private static (ImageSet Train, ImageSet Validation) Split(ImageSet all, TrainOptions o)
    {
        var idx = Enumerable.Range(0, all.Count).ToArray();
        new Rng(o.Seed ^ 0x5EEDF00DUL).Shuffle(idx);
        int nVal = (int)Math.Round(all.Count * o.ValidationFraction);
        var val = idx.Take(nVal);
        var train = idx.Skip(nVal);
        if (o.Limit > 0) { train = train.Take(o.Limit); val = val.Take(Math.Max(1, (int)Math.Ceiling(o.Limit * o.ValidationFraction))); }
        return (all.Subset(train.Order().ToArray()), all.Subset(val.Order().ToArray()));
    }
}

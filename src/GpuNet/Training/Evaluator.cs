using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;

namespace GpuNet.Training;

/// <summary>
/// Accuracy, top-5 accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted).
/// </summary>
public sealed record EvaluationResult(int Count, double Accuracy, double Top5, double Loss, int[,] Confusion,
    string[] Classes);

public static class Evaluator
{
    /// <summary>
    /// Evaluates the store entries <paramref name="items"/> through the loader's transform. With
    /// <paramref name="views"/> = 10 (a ten-crop transform) each image's class probabilities are the mean of the
    /// softmax over its ten crops, as in the paper; the loss is then −log of that mean at the true class. A cancelled
    /// <paramref name="ct"/> stops it between batches (OperationCanceledException).
    /// </summary>
    public static EvaluationResult Evaluate(INetwork model, BatchLoader loader, IReadOnlyList<int> items,
        Loss? loss = null, int views = 1, CancellationToken ct = default)
    {
        int k = model.Classes;
        var confusion = new int[k, k];
        int correct = 0, top5 = 0, count = 0;
        double lossSum = 0;
        var logits = new float[loader.BatchSize * k];
        var probs = new float[loader.BatchSize * k];
        foreach (var bt in loader.Run(items, epoch: 0, views, ct))
        {
            int n = bt.Count;
            var labels = bt.Labels.AsSpan(0, n);
            Array.Clear(probs);
            for (int v = 0; v < views; v++)
            {
                var z = model.Forward(bt.View(v), n, training: false);
                if (views == 1 && loss is not null) lossSum += loss.Forward(z, labels) * n;
                model.OutputDevice.CopyToHost(z, logits.AsSpan(0, n * k));
                for (int i = 0; i < n; i++) Softmax(logits.AsSpan(i * k, k), probs.AsSpan(i * k, k), 1f / views);
            }
            for (int i = 0; i < n; i++)
            {
                var row = probs.AsSpan(i * k, k);
                int pred = Metrics.ArgMax(row);
                confusion[labels[i], pred]++;
                if (pred == labels[i]) correct++;
                if (Metrics.Rank(row, labels[i]) < 5) top5++;
                if (views > 1) lossSum -= Math.Log(Math.Max(row[labels[i]], 1e-30f));
            }
            count += n;
        }
        int total = Math.Max(count, 1);
        return new EvaluationResult(count, (double)correct / total, (double)top5 / total, lossSum / total, confusion,
            loader.Store.Files.Classes);
    }

    /// <summary>Adds weight · softmax(z) to p.</summary>
    private static void Softmax(ReadOnlySpan<float> z, Span<float> p, float weight)
    {
        float max = z[Metrics.ArgMax(z)];
        double sum = 0;
        for (int j = 0; j < z.Length; j++) sum += Math.Exp(z[j] - max);
        for (int j = 0; j < z.Length; j++) p[j] += (float)(weight * Math.Exp(z[j] - max) / sum);
    }
}

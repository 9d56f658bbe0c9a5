using GpuNet.Data;
using GpuNet.Losses;
using GpuNet.Models;

namespace GpuNet.Training;

/// <summary>Accuracy, top-5 accuracy, mean loss and the confusion matrix (rows: true class, columns: predicted).</summary>
public sealed record EvaluationResult(int Count, double Accuracy, double Top5, double Loss, int[,] Confusion, string[] Classes);

public static class Evaluator
{
    public static EvaluationResult Evaluate(Model model, ImageSet set, BatchBuilder builder, int batch, Loss? loss = null)
    {
        int k = model.Classes;
        var confusion = new int[k, k];
        int correct = 0, top5 = 0;
        double lossSum = 0;
        using var x = model.Accelerator.Allocate([batch, .. model.InputShape]);
        var host = new float[batch * builder.SampleSize];
        var labels = new int[batch];
        var logits = new float[batch * k];
        var order = Enumerable.Range(0, set.Count).ToArray();
        for (int start = 0; start < set.Count; start += batch)
        {
            int n = Math.Min(batch, set.Count - start);
            builder.Fill(set, order.AsSpan(start, n), host, labels);
            var xb = n == batch ? x : x.Slice(0, [n, .. model.InputShape]);
            xb.CopyFrom(host.AsSpan(0, n * builder.SampleSize));
            var z = model.Forward(xb, training: false);
            if (loss is not null) lossSum += loss.Forward(z, labels.AsSpan(0, n)) * n;
            model.Accelerator.CopyToHost(z, logits);
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * k, k);
                int pred = Metrics.ArgMax(row);
                confusion[labels[i], pred]++;
                if (pred == labels[i]) correct++;
                if (Metrics.Rank(row, labels[i]) < 5) top5++;
            }
        }
        int count = Math.Max(set.Count, 1);
        return new EvaluationResult(set.Count, (double)correct / count, (double)top5 / count, lossSum / count, confusion, set.Classes);
    }
}

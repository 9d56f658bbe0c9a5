using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace GpuNet.Kernels;

/// <summary>
/// Losses: forward writes one loss per sample (N), backward the gradient of scale · Σ loss. Labels are floats holding
/// class indices (checked on the host when they are uploaded); a label outside [0, C) still reads nothing out of
/// bounds here: its loss is NaN and its gradient row zero. hasWeights selects weighted cross-entropy (weights: (C)).
/// </summary>
public static class LossKernels
{
    /// <summary>
    /// Stable softmax and −w[y]·log p[y] = w[y]·(log Σ e^(z−max) − (z_y − max)); one group per row (groups stride over
    /// rows), the row's max and sum reduced across the group. logits, probs: (N, C); labels, loss: (N).
    /// </summary>
    public static void SoftmaxCrossEntropyForward(ArrayView<float> logits, ArrayView<float> labels,
        ArrayView<float> weights, int hasWeights, ArrayView<float> probs, ArrayView<float> loss, int c)
    {
        int lid = Group.IdxX, local = Group.DimX, groups = Grid.DimX, n = loss.IntLength;
        for (int row = Grid.IdxX; row < n; row += groups)
        {
            int at = row * c;
            float mx = float.NegativeInfinity;
            for (int j = lid; j < c; j += local) mx = XMath.Max(mx, logits[at + j]);
            mx = GroupExtensions.AllReduce<float, MaxFloat>(mx);
            float sum = 0f;
            for (int j = lid; j < c; j += local)
            {
                float e = XMath.Exp(logits[at + j] - mx);
                probs[at + j] = e;
                sum += e;
            }
            sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
            float inv = 1f / sum;
            for (int j = lid; j < c; j += local) probs[at + j] *= inv;
            if (lid == 0)
            {
                int y = (int)labels[row];
                if (y < 0 || y >= c) loss[row] = float.NaN;
                else
                {
                    float l = XMath.Log(sum) - (logits[at + y] - mx);
                    loss[row] = hasWeights != 0 ? weights[y] * l : l;
                }
            }
        }
    }

    /// <summary>dlogits = scale · w[y] · (p − onehot(y)); grid-stride over elements.</summary>
    public static void SoftmaxCrossEntropyBackward(ArrayView<float> probs, ArrayView<float> labels,
        ArrayView<float> weights, int hasWeights, ArrayView<float> dlogits, float scale, int c)
    {
        int total = probs.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int i = e / c, j = e - i * c, y = (int)labels[i];
            if (y < 0 || y >= c) { dlogits[e] = 0f; continue; }
            float s = hasWeights != 0 ? scale * weights[y] : scale;
            dlogits[e] = s * (probs[e] - (j == y ? 1f : 0f));
        }
    }

    /// <summary>Σ_{j≠y} max(0, 1 + s_j − s_y); one thread per row.</summary>
    public static void HingeForward(ArrayView<float> scores, ArrayView<float> labels, ArrayView<float> loss, int c)
    {
        int n = loss.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            int y = (int)labels[i], at = i * c;
            if (y < 0 || y >= c) { loss[i] = float.NaN; continue; }
            float sy = scores[at + y], l = 0f;
            for (int j = 0; j < c; j++)
                if (j != y) l += XMath.Max(0f, 1f + scores[at + j] - sy);
            loss[i] = l;
        }
    }

    /// <summary>
    /// d s_j = scale for each active margin j ≠ y, d s_y = −scale · (active margins); one thread per row.
    /// </summary>
    public static void HingeBackward(ArrayView<float> scores, ArrayView<float> labels, ArrayView<float> dscores,
        float scale, int c)
    {
        int n = labels.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            int y = (int)labels[i], at = i * c;
            if (y < 0 || y >= c)
            {
                for (int j = 0; j < c; j++) dscores[at + j] = 0f;
                continue;
            }
            float sy = scores[at + y];
            int active = 0;
            for (int j = 0; j < c; j++)
            {
                bool on = j != y && 1f + scores[at + j] - sy > 0f;
                dscores[at + j] = on ? scale : 0f;
                if (on) active++;
            }
            dscores[at + y] = -scale * active;
        }
    }

    /// <summary>loss_i = mean_j (a − t)²; one thread per row of d.</summary>
    public static void MseForward(ArrayView<float> pred, ArrayView<float> target, ArrayView<float> loss, int d) =>
        RowLoss(RowTerm.Squared, pred, target, loss, d);

    /// <summary>dpred = factor · 2 (a − t), factor = scale / d.</summary>
    public static void MseBackward(ArrayView<float> pred, ArrayView<float> target, ArrayView<float> dpred,
        float factor) => RowGradient(RowTerm.Squared, pred, target, dpred, factor);

    /// <summary>loss_i = mean_j |a − t|.</summary>
    public static void MaeForward(ArrayView<float> pred, ArrayView<float> target, ArrayView<float> loss, int d) =>
        RowLoss(RowTerm.Absolute, pred, target, loss, d);

    /// <summary>dpred = factor · sign(a − t) (0 at equality).</summary>
    public static void MaeBackward(ArrayView<float> pred, ArrayView<float> target, ArrayView<float> dpred,
        float factor) => RowGradient(RowTerm.Absolute, pred, target, dpred, factor);

    /// <summary>loss_i = mean_j [max(z, 0) − z·t + log(1 + e^−|z|)] (sigmoid fused, stable for large |z|).</summary>
    public static void BinaryCrossEntropyForward(ArrayView<float> logits, ArrayView<float> target,
        ArrayView<float> loss, int d) => RowLoss(RowTerm.BinaryCrossEntropy, logits, target, loss, d);

    /// <summary>dlogits = factor · (σ(z) − t).</summary>
    public static void BinaryCrossEntropyBackward(ArrayView<float> logits, ArrayView<float> target,
        ArrayView<float> dlogits, float factor) =>
        RowGradient(RowTerm.BinaryCrossEntropy, logits, target, dlogits, factor);

    /// <summary>
    /// stats[0] += lossScale · Σ loss, stats[1] += rows whose first largest score is at the label: a training step's
    /// running loss and correct count stay on the device. Launched as one group (a fixed summation order: the same sums
    /// on every run). scores: (N, C); labels, loss: (N); stats: (2).
    /// </summary>
    public static void AccumulateLossAndCorrect(ArrayView<float> scores, ArrayView<float> labels,
        ArrayView<float> loss, ArrayView<float> stats, int c, float lossScale)
    {
        int lid = Group.IdxX, local = Group.DimX, n = loss.IntLength;
        float lossSum = 0f, correct = 0f;
        for (int i = lid; i < n; i += local)
        {
            int at = i * c, best = 0;
            float bestValue = scores[at];
            for (int j = 1; j < c; j++)
            {
                float v = scores[at + j];
                if (v > bestValue) { bestValue = v; best = j; }
            }
            if (best == (int)labels[i]) correct += 1f;
            lossSum += loss[i];
        }
        lossSum = GroupExtensions.AllReduce<float, AddFloat>(lossSum);
        correct = GroupExtensions.AllReduce<float, AddFloat>(correct);
        if (lid == 0)
        {
            stats[0] += lossScale * lossSum;
            stats[1] += correct;
        }
    }

    private enum RowTerm { Squared, Absolute, BinaryCrossEntropy }

    private static float Term(RowTerm kind, float a, float t) => kind switch
    {
        RowTerm.Squared => (a - t) * (a - t),
        RowTerm.Absolute => XMath.Abs(a - t),
        _ => XMath.Max(a, 0f) - a * t + XMath.Log(1f + XMath.Exp(-XMath.Abs(a))),
    };

    private static float Derivative(RowTerm kind, float a, float t) => kind switch
    {
        RowTerm.Squared => 2f * (a - t),
        RowTerm.Absolute => a > t ? 1f : (a < t ? -1f : 0f),
        _ => 1f / (1f + XMath.Exp(-a)) - t,
    };

    private static void RowLoss(RowTerm kind, ArrayView<float> a, ArrayView<float> t, ArrayView<float> loss, int d)
    {
        int n = loss.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float sum = 0f;
            for (int j = i * d, end = j + d; j < end; j++) sum += Term(kind, a[j], t[j]);
            loss[i] = sum / d;
        }
    }

    private static void RowGradient(RowTerm kind, ArrayView<float> a, ArrayView<float> t, ArrayView<float> output,
        float factor)
    {
        int n = a.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step) output[e] = factor * Derivative(kind,
            a[e], t[e]);
    }
}

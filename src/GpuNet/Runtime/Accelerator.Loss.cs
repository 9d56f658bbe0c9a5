namespace GpuNet.Runtime;

/// <summary>
/// Loss ops. Each forward writes one loss value per sample (loss: (N)); the caller reduces on the host.
/// Each backward writes the gradient of <c>scale · Σ_i loss_i</c> (scale is usually 1/N).
/// Class labels are float tensors (N) holding class indices, so every backend reads them the same way.
/// </summary>
public abstract partial class Accelerator
{
    /// <summary>
    /// Fused, log-sum-exp stable softmax + cross-entropy. logits, probs: (N, C); labels: (N);
    /// classWeights: (C) or null (weighted cross-entropy: loss_i = w[y_i] · −log p[i, y_i]).
    /// </summary>
    public void SoftmaxCrossEntropyForward(Tensor logits, Tensor labels, Tensor? classWeights, Tensor probs,
        Tensor loss)
    {
        var (n, c) = CheckClassification(logits, labels, classWeights);
        Check(probs, nameof(probs), n, c); Check(loss, nameof(loss), n);
        SoftmaxCrossEntropyForwardInternal(logits, labels, classWeights, probs, loss, n, c);
    }

    /// <summary>dlogits = scale · w[y] · (probs − onehot(labels)).</summary>
    public void SoftmaxCrossEntropyBackward(Tensor probs, Tensor labels, Tensor? classWeights, Tensor dlogits,
        float scale)
    {
        var (n, c) = CheckClassification(probs, labels, classWeights);
        Check(dlogits, nameof(dlogits), n, c);
        SoftmaxCrossEntropyBackwardInternal(probs, labels, classWeights, dlogits, scale, n, c);
    }

    /// <summary>Multi-class hinge (SVM) loss: loss_i = Σ_{j≠y} max(0, 1 + s_j − s_y). scores: (N, C).</summary>
    public void HingeForward(Tensor scores, Tensor labels, Tensor loss)
    {
        var (n, _) = CheckClassification(scores, labels, null);
        Check(loss, nameof(loss), n);
        HingeForwardInternal(scores, labels, loss, n, scores.Shape[1]);
    }

    public void HingeBackward(Tensor scores, Tensor labels, Tensor dscores, float scale)
    {
        var (n, c) = CheckClassification(scores, labels, null);
        Check(dscores, nameof(dscores), n, c);
        HingeBackwardInternal(scores, labels, dscores, scale, n, c);
    }

    /// <summary>Mean squared error per sample: loss_i = mean_d (pred − target)². pred, target: (N, D).</summary>
    public void MseForward(Tensor pred, Tensor target, Tensor loss)
    {
        var (n, d) = CheckRegression(pred, target, loss);
        MseForwardInternal(pred, target, loss, n, d);
    }
    public void MseBackward(Tensor pred, Tensor target, Tensor dpred,
        float scale)
    {
        var (n, d) = CheckRegression(pred, target, null); Check(dpred, nameof(dpred), pred.Shape);
        MseBackwardInternal(pred, target, dpred, scale, n, d);
    }

    /// <summary>Mean absolute error per sample: loss_i = mean_d |pred − target| (subgradient 0 at equality).</summary>
    public void MaeForward(Tensor pred, Tensor target, Tensor loss)
    {
        var (n, d) = CheckRegression(pred, target, loss);
        MaeForwardInternal(pred, target, loss, n, d);
    }
    public void MaeBackward(Tensor pred, Tensor target, Tensor dpred,
        float scale)
    {
        var (n, d) = CheckRegression(pred, target, null); Check(dpred, nameof(dpred), pred.Shape);
        MaeBackwardInternal(pred, target, dpred, scale, n, d);
    }

    /// <summary>
    /// Binary cross-entropy on logits (sigmoid fused, stable for large |z|): loss_i = mean_d [max(z,0) − z·t + log(1 +
    /// e^−|z|)], targets in [0, 1].
    /// </summary>
    public void BinaryCrossEntropyForward(Tensor logits, Tensor target,
        Tensor loss)
    {
        var (n, d) = CheckRegression(logits, target, loss);
        BinaryCrossEntropyForwardInternal(logits, target, loss, n, d);
    }
    /// <summary>dlogits = scale · (σ(z) − t) / D.</summary>
    public void BinaryCrossEntropyBackward(Tensor logits, Tensor target, Tensor dlogits,
        float scale)
    {
        var (n, d) = CheckRegression(logits, target, null);
        Check(dlogits, nameof(dlogits), logits.Shape);
        BinaryCrossEntropyBackwardInternal(logits, target, dlogits, scale, n, d);
    }

    /// <summary>
    /// Checks class labels on the host (each in [0, classes)) and uploads them with the batch as the float class
    /// indices the loss kernels read. destination: (N).
    /// </summary>
    public void UploadLabels(ReadOnlySpan<int> labels, int classes, Tensor destination, Span<float> staging)
    {
        Check(destination, nameof(destination), labels.Length);
        if (staging.Length < labels.Length)
            throw new ArgumentException($"label staging holds {staging.Length}, the batch has {labels.Length} labels");
        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException(
                    $"label {labels[i]} of sample {i} is outside the model's {classes} classes (0 to {classes - 1})");
            staging[i] = labels[i];
        }
        CopyFromHost(staging[..labels.Length], destination);
    }

    /// <summary>
    /// stats[0] += lossScale · Σ_i loss_i and stats[1] += the number of rows whose first largest score is at the label,
    /// on the device: training reads the two numbers back once per progress update, not per step.
    /// scores: (N, C); labels, loss: (N); stats: (2).
    /// </summary>
    public void AccumulateLossAndCorrect(Tensor scores, Tensor labels, Tensor loss, Tensor stats, float lossScale)
    {
        var (n, c) = CheckClassification(scores, labels, null);
        Check(loss, nameof(loss), n); Check(stats, nameof(stats), 2);
        AccumulateLossAndCorrectInternal(scores, labels, loss, stats, lossScale, n, c);
    }

    private (int N, int C) CheckClassification(Tensor scores, Tensor labels, Tensor? weights)
    {
        Check(scores, nameof(scores));
        if (scores.Rank != 2)
            throw new ArgumentException($"class scores must be (N, C), got {Shapes.Format(scores.Shape)}");
        int n = scores.Shape[0], c = scores.Shape[1];
        Check(labels, nameof(labels), n);
        if (weights is not null) Check(weights, "classWeights", c);
        return (n, c);
    }

    private (int N, int D) CheckRegression(Tensor pred, Tensor target, Tensor? loss)
    {
        Check(pred, nameof(pred)); Check(target, nameof(target), pred.Shape);
        int n = pred.Shape[0], d = pred.Length / Math.Max(1, n);
        if (loss is not null) Check(loss, nameof(loss), n);
        return (n, d);
    }

    protected abstract void AccumulateLossAndCorrectInternal(Tensor scores, Tensor labels, Tensor loss, Tensor stats,
        float lossScale, int n, int c);
    protected abstract void SoftmaxCrossEntropyForwardInternal(Tensor logits, Tensor labels, Tensor? classWeights,
        Tensor probs, Tensor loss, int n, int c);
    protected abstract void SoftmaxCrossEntropyBackwardInternal(Tensor probs, Tensor labels, Tensor? classWeights,
        Tensor dlogits, float scale, int n, int c);
    protected abstract void HingeForwardInternal(Tensor scores, Tensor labels, Tensor loss, int n, int c);
    protected abstract void HingeBackwardInternal(Tensor scores, Tensor labels, Tensor dscores, float scale, int n,
        int c);
    protected abstract void MseForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d);
    protected abstract void MseBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d);
    protected abstract void MaeForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d);
    protected abstract void MaeBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d);
    protected abstract void BinaryCrossEntropyForwardInternal(Tensor logits, Tensor target, Tensor loss, int n, int d);
    protected abstract void BinaryCrossEntropyBackwardInternal(Tensor logits, Tensor target, Tensor dlogits,
        float scale, int n, int d);
}

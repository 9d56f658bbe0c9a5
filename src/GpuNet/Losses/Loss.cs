using GpuNet.Runtime;

namespace GpuNet.Losses;

/// <summary>
/// Training objectives. Classification losses read class labels; the rest compare with one-hot targets.
/// </summary>
public enum LossKind { SoftmaxCrossEntropy, WeightedCrossEntropy, Mse, Mae, BinaryCrossEntropy, Hinge }

/// <summary>
/// A loss on the model's output (N, C) against integer labels, mean-reduced over the batch (weighted cross-entropy
/// divides by Σ w[y_i], as PyTorch does). Buffers are reused between batches.
/// </summary>
public sealed class Loss : IDisposable
{
    private readonly Accelerator _acc;
    private readonly float[]? _weights;
    private Tensor? _classWeights, _labels, _targets, _perSample, _grad, _probs;
    private Tensor? _output, _curLabels, _curProbs, _curTargets;
    private float _scale;
    private double _norm = 1;
    private float[] _hostLabels = [], _hostLoss = [], _hostTargets = [];

    public Loss(Accelerator accelerator, LossKind kind, float[]? classWeights = null)
    {
        _acc = accelerator;
        Kind = kind;
        if (kind == LossKind.WeightedCrossEntropy)
        {
            _weights = classWeights ?? throw new ArgumentException("weighted cross-entropy needs class weights");
            _classWeights = accelerator.FromHost(classWeights, classWeights.Length);
        }
    }

    public LossKind Kind { get; }

    /// <summary>Softmax probabilities of the last forward, for cross-entropy losses (N, C).</summary>
    public Tensor? Probabilities => _curProbs;

    /// <summary>Mean loss of output (N, C) against labels (N), read back from the device.</summary>
    public float Forward(Tensor output, ReadOnlySpan<int> labels)
    {
        var loss = Compute(output, labels);
        double sum = 0;
        _acc.CopyToHost(loss, _hostLoss);
        foreach (float v in _hostLoss.AsSpan(0, loss.Length)) sum += v;
        return (float)(sum * _scale);
    }

    /// <summary>
    /// Adds this batch's mean loss times N and its correct count to stats (2) on the device, without reading anything
    /// back (the trainer reads stats once per progress update).
    /// </summary>
    public void Accumulate(Tensor stats)
    {
        var output = _output ?? throw new InvalidOperationException("Accumulate before Forward");
        int n = output.Shape[0];
        _acc.AccumulateLossAndCorrect(_curProbs ?? output, _curLabels!, _perSample!.Slice(0, n), stats, n * _scale);
    }

    /// <summary>
    /// Per-sample losses of output (N, C) against labels (N), left on the device: labels go up, nothing comes back.
    /// </summary>
    public Tensor Compute(Tensor output, ReadOnlySpan<int> labels)
    {
        int n = output.Shape[0], c = output.Shape[1];
        if (labels.Length != n) throw new ArgumentException($"{labels.Length} labels for a batch of {n}");
        _output = output;
        _curProbs = null;
        var lab = _curLabels = Ensure(ref _labels, n);
        if (_hostLabels.Length != n) { _hostLabels = new float[n]; _hostLoss = new float[n]; }
        _acc.UploadLabels(labels, c, lab, _hostLabels);
        double norm = 0;
        for (int i = 0; i < n; i++) norm += _weights is null ? 1 : _weights[labels[i]];
        _norm = Math.Max(norm, 1e-12);
        _scale = (float)(1.0 / _norm);
        var loss = Ensure(ref _perSample, n);
        switch (Kind)
        {
            case LossKind.SoftmaxCrossEntropy:
            case LossKind.WeightedCrossEntropy:
                _acc.SoftmaxCrossEntropyForward(output, lab, _classWeights, _curProbs = Ensure(ref _probs, n, c), loss);
                break;
            case LossKind.Hinge:
                _acc.HingeForward(output, lab, loss);
                break;
            default:
                if (_hostTargets.Length != n * c) _hostTargets = new float[n * c];
                var onehot = _hostTargets;
                Array.Clear(onehot);
                for (int i = 0; i < n; i++) onehot[i * c + labels[i]] = 1f;
                var t = _curTargets = Ensure(ref _targets, n, c);
                t.CopyFrom(onehot);
                if (Kind == LossKind.Mse) _acc.MseForward(output, t, loss);
                else if (Kind == LossKind.Mae) _acc.MaeForward(output, t, loss);
                else _acc.BinaryCrossEntropyForward(output, t, loss);
                break;
        }
        return loss;
    }

    /// <summary>
    /// Gradient of <paramref name="weight"/> × the last forward's mean loss with respect to the output. A data-parallel
    /// rank passes its batch's count: the gradient of the summed loss, which the reduction divides by the global count.
    /// </summary>
    public Tensor Backward(double weight = 1)
    {
        var output = _output ?? throw new InvalidOperationException("Backward before Forward");
        int n = output.Shape[0], c = output.Shape[1];
        var d = Ensure(ref _grad, n, c);
        float scale = weight == 1 ? _scale : (float)(weight / _norm);
        switch (Kind)
        {
            case LossKind.SoftmaxCrossEntropy:
            case LossKind.WeightedCrossEntropy:
                _acc.SoftmaxCrossEntropyBackward(_curProbs!, _curLabels!, _classWeights, d, scale); break;
            case LossKind.Hinge: _acc.HingeBackward(output, _curLabels!, d, scale); break;
            case LossKind.Mse: _acc.MseBackward(output, _curTargets!, d, scale); break;
            case LossKind.Mae: _acc.MaeBackward(output, _curTargets!, d, scale); break;
            default: _acc.BinaryCrossEntropyBackward(output, _curTargets!, d, scale); break;
        }
        return d;
    }

    private Tensor Ensure(ref Tensor? t, params int[] shape)
    {
        if (t is not null && t.Shape[0] >= shape[0] && t.Length / t.Shape[0] == Shapes.Product(shape) / shape[0])
            return t.Shape[0] == shape[0] ? t : t.Slice(0, shape);
        t?.Dispose();
        t = _acc.Allocate(shape);
        return t;
    }

    public void Dispose()
    {
        foreach (var t in new[] { _classWeights, _labels, _targets, _perSample, _grad, _probs }) t?.Dispose();
    }
}

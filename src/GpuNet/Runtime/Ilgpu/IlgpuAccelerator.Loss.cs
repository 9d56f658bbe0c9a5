using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    protected override void AccumulateLossAndCorrectInternal(Tensor scores, Tensor labels, Tensor loss, Tensor stats,
        float lossScale, int n, int c) =>
        K<F, F, F, F, int, float>(LossKernels.AccumulateLossAndCorrect)(OneGroup, V(scores), V(labels), V(loss),
            V(stats), c, lossScale);

    protected override void SoftmaxCrossEntropyForwardInternal(Tensor logits, Tensor labels, Tensor? classWeights,
        Tensor probs, Tensor loss, int n, int c) =>
        K<F, F, F, int, F, F, int>(LossKernels.SoftmaxCrossEntropyForward)(
            PerGroup(n), V(logits), V(labels), V(classWeights ?? labels),
            classWeights is null ? 0 : 1, V(probs), V(loss), c);

    protected override void SoftmaxCrossEntropyBackwardInternal(Tensor probs, Tensor labels, Tensor? classWeights,
        Tensor dlogits, float scale, int n, int c) =>
        K<F, F, F, int, F, float, int>(LossKernels.SoftmaxCrossEntropyBackward)(
            Stride(n * c), V(probs), V(labels), V(classWeights ?? labels),
            classWeights is null ? 0 : 1, V(dlogits), scale, c);

    protected override void HingeForwardInternal(Tensor scores, Tensor labels, Tensor loss, int n, int c) =>
        K<F, F, F, int>(LossKernels.HingeForward)(Stride(n), V(scores), V(labels), V(loss), c);

    protected override void HingeBackwardInternal(Tensor scores, Tensor labels, Tensor dscores, float scale, int n,
        int c) =>
        K<F, F, F, float, int>(LossKernels.HingeBackward)(Stride(n), V(scores), V(labels), V(dscores), scale, c);

    protected override void MseForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) =>
        K<F, F, F, int>(LossKernels.MseForward)(Stride(n), V(pred), V(target), V(loss), d);

    protected override void MseBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) =>
        K<F, F, F, float>(LossKernels.MseBackward)(Stride(pred.Length), V(pred), V(target), V(dpred), scale / d);

    protected override void MaeForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) =>
        K<F, F, F, int>(LossKernels.MaeForward)(Stride(n), V(pred), V(target), V(loss), d);

    protected override void MaeBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) =>
        K<F, F, F, float>(LossKernels.MaeBackward)(Stride(pred.Length), V(pred), V(target), V(dpred), scale / d);

    protected override void BinaryCrossEntropyForwardInternal(Tensor logits, Tensor target, Tensor loss, int n,
        int d) =>
        K<F, F, F, int>(LossKernels.BinaryCrossEntropyForward)(Stride(n), V(logits), V(target), V(loss), d);

    protected override void BinaryCrossEntropyBackwardInternal(Tensor logits, Tensor target, Tensor dlogits,
        float scale, int n, int d) =>
        K<F, F, F, float>(LossKernels.BinaryCrossEntropyBackward)(
            Stride(logits.Length), V(logits), V(target), V(dlogits), scale / d);
}

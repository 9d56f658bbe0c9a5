namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    private const string LossFile = "loss.cl";

    protected override void SoftmaxCrossEntropyForwardInternal(Tensor logits, Tensor labels, Tensor? classWeights, Tensor probs, Tensor loss, int n, int c) =>
        Kernel(LossFile, "softmax_cross_entropy_forward").Buf(logits).Buf(labels).Buf(classWeights ?? labels).Int(classWeights is null ? 0 : 1)
            .Buf(probs).Buf(loss).Int(n).Int(c).Launch(n);

    protected override void SoftmaxCrossEntropyBackwardInternal(Tensor probs, Tensor labels, Tensor? classWeights, Tensor dlogits, float scale, int n, int c) =>
        Kernel(LossFile, "softmax_cross_entropy_backward").Buf(probs).Buf(labels).Buf(classWeights ?? labels).Int(classWeights is null ? 0 : 1)
            .Buf(dlogits).Float(scale).Int(n).Int(c).Launch(n * c);

    protected override void HingeForwardInternal(Tensor scores, Tensor labels, Tensor loss, int n, int c) =>
        Kernel(LossFile, "hinge_forward").Buf(scores).Buf(labels).Buf(loss).Int(n).Int(c).Launch(n);

    protected override void HingeBackwardInternal(Tensor scores, Tensor labels, Tensor dscores, float scale, int n, int c) =>
        Kernel(LossFile, "hinge_backward").Buf(scores).Buf(labels).Buf(dscores).Float(scale).Int(n).Int(c).Launch(n);

    protected override void MseForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) => RowLoss("mse_forward", pred, target, loss, n, d);
    protected override void MseBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) => RowGrad("mse_backward", pred, target, dpred, scale / d);
    protected override void MaeForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) => RowLoss("mae_forward", pred, target, loss, n, d);
    protected override void MaeBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) => RowGrad("mae_backward", pred, target, dpred, scale / d);
    protected override void BinaryCrossEntropyForwardInternal(Tensor logits, Tensor target, Tensor loss, int n, int d) => RowLoss("binary_cross_entropy_forward", logits, target, loss, n, d);
    protected override void BinaryCrossEntropyBackwardInternal(Tensor logits, Tensor target, Tensor dlogits, float scale, int n, int d) => RowGrad("binary_cross_entropy_backward", logits, target, dlogits, scale / d);

    private void RowLoss(string kernel, Tensor a, Tensor t, Tensor loss, int n, int d) =>
        Kernel(LossFile, kernel).Buf(a).Buf(t).Buf(loss).Int(n).Int(d).Launch(n);

    // the kernels multiply their per-element derivative by factor (MSE's 2 is inside the kernel)
    private void RowGrad(string kernel, Tensor a, Tensor t, Tensor output, float factor) =>
        Kernel(LossFile, kernel).Buf(a).Buf(t).Buf(output).Float(factor).Int(a.Length).Launch(a.Length);
}

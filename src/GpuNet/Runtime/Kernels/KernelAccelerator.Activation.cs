namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    private const string Act = "activation.cl";

    protected override void ReluForwardInternal(Tensor x, Tensor y) => Kernel(Act, "relu_forward").Buf(x).Buf(y).Int(x.Length).Launch(x.Length);
    protected override void ReluBackwardInternal(Tensor y, Tensor dy, Tensor dx) => Kernel(Act, "relu_backward").Buf(y).Buf(dy).Buf(dx).Int(y.Length).Launch(y.Length);
    protected override void LeakyReluForwardInternal(Tensor x, Tensor y, float slope) => Kernel(Act, "leaky_relu_forward").Buf(x).Buf(y).Float(slope).Int(x.Length).Launch(x.Length);
    protected override void LeakyReluBackwardInternal(Tensor x, Tensor dy, Tensor dx, float slope) => Kernel(Act, "leaky_relu_backward").Buf(x).Buf(dy).Buf(dx).Float(slope).Int(x.Length).Launch(x.Length);
    protected override void SigmoidForwardInternal(Tensor x, Tensor y) => Kernel(Act, "sigmoid_forward").Buf(x).Buf(y).Int(x.Length).Launch(x.Length);
    protected override void SigmoidBackwardInternal(Tensor y, Tensor dy, Tensor dx) => Kernel(Act, "sigmoid_backward").Buf(y).Buf(dy).Buf(dx).Int(y.Length).Launch(y.Length);
    protected override void TanhForwardInternal(Tensor x, Tensor y) => Kernel(Act, "tanh_forward").Buf(x).Buf(y).Int(x.Length).Launch(x.Length);
    protected override void TanhBackwardInternal(Tensor y, Tensor dy, Tensor dx) => Kernel(Act, "tanh_backward").Buf(y).Buf(dy).Buf(dx).Int(y.Length).Launch(y.Length);
}

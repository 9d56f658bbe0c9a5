using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    protected override void ReluForwardInternal(Tensor x, Tensor y) =>
        K<F, F>(ActivationKernels.ReluForward)(Stride(x.Length), V(x), V(y));
    protected override void ReluBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        K<F, F, F>(ActivationKernels.ReluBackward)(Stride(y.Length), V(y), V(dy), V(dx));
    protected override void LeakyReluForwardInternal(Tensor x, Tensor y, float slope) =>
        K<F, F, float>(ActivationKernels.LeakyReluForward)(Stride(x.Length), V(x), V(y), slope);
    protected override void LeakyReluBackwardInternal(Tensor x, Tensor dy, Tensor dx, float slope) =>
        K<F, F, F, float>(ActivationKernels.LeakyReluBackward)(Stride(x.Length), V(x), V(dy), V(dx), slope);
    protected override void SigmoidForwardInternal(Tensor x, Tensor y) =>
        K<F, F>(ActivationKernels.SigmoidForward)(Stride(x.Length), V(x), V(y));
    protected override void SigmoidBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        K<F, F, F>(ActivationKernels.SigmoidBackward)(Stride(y.Length), V(y), V(dy), V(dx));
    protected override void TanhForwardInternal(Tensor x, Tensor y) =>
        K<F, F>(ActivationKernels.TanhForward)(Stride(x.Length), V(x), V(y));
    protected override void TanhBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        K<F, F, F>(ActivationKernels.TanhBackward)(Stride(y.Length), V(y), V(dy), V(dx));
}

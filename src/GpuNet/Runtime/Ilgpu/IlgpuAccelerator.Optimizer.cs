using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    protected override void SgdUpdateInternal(Tensor w, Tensor g, float lr, float weightDecay, float l1) =>
        K<F, F, UpdateParameters>(OptimizerKernels.SgdUpdate)(Stride(w.Length), V(w), V(g),
            new UpdateParameters { Lr = lr, WeightDecay = weightDecay, L1 = l1 });

    protected override void MomentumUpdateInternal(Tensor w, Tensor g, Tensor v, float lr, float momentum,
        float weightDecay, float l1) =>
        K<F, F, F, UpdateParameters>(OptimizerKernels.MomentumUpdate)(Stride(w.Length), V(w), V(g), V(v),
            new UpdateParameters { Lr = lr, Beta1 = momentum, WeightDecay = weightDecay, L1 = l1 });

    protected override void AdaGradUpdateInternal(Tensor w, Tensor g, Tensor h, float lr, float epsilon,
        float weightDecay, float l1) =>
        K<F, F, F, UpdateParameters>(OptimizerKernels.AdaGradUpdate)(Stride(w.Length), V(w), V(g), V(h),
            new UpdateParameters { Lr = lr, Epsilon = epsilon, WeightDecay = weightDecay, L1 = l1 });

    protected override void RmsPropUpdateInternal(Tensor w, Tensor g, Tensor s, float lr, float rho, float epsilon,
        float weightDecay, float l1) =>
        K<F, F, F, UpdateParameters>(OptimizerKernels.RmsPropUpdate)(Stride(w.Length), V(w), V(g), V(s),
            new UpdateParameters { Lr = lr, Beta1 = rho, Epsilon = epsilon, WeightDecay = weightDecay, L1 = l1 });

    protected override void AdamUpdateInternal(Tensor w, Tensor g, Tensor m, Tensor v, float lr, float beta1,
        float beta2, float epsilon, int step, float weightDecay, float l1) =>
        K<F, F, F, F, UpdateParameters>(OptimizerKernels.AdamUpdate)(
            Stride(w.Length), V(w), V(g), V(m), V(v), new UpdateParameters
            {
                Lr = lr, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon, WeightDecay = weightDecay, L1 = l1,
                C1 = 1f / (1f - MathF.Pow(beta1, step)), C2 = 1f / (1f - MathF.Pow(beta2, step)),
            });
}

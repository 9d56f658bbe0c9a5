using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    private static LrnShape Lrn(Tensor x, LrnParameters p) => new()
    {
        N = x.Shape[0], C = x.Shape[1], HW = x.Shape[2] * x.Shape[3], Size = p.Size, Groups = p.Groups,
        Alpha = p.Alpha, Beta = p.Beta, K = p.K,
    };

    protected override void LrnForwardInternal(Tensor x, Tensor y, Tensor scale, LrnParameters p) =>
        K<F, F, F, LrnShape>(NormalizationKernels.LrnForward)(Stride(x.Shape[0] * p.Groups * x.Shape[2] * x.Shape[3]),
            V(x), V(y), V(scale), Lrn(x, p));

    protected override void LrnBackwardInternal(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx,
        LrnParameters p) =>
        K<F, F, F, F, F, LrnShape>(NormalizationKernels.LrnBackward)(
            Stride(x.Shape[0] * p.Groups * x.Shape[2] * x.Shape[3]),
            V(x), V(y), V(scale), V(dy), V(dx), Lrn(x, p));

    protected override void BatchNormForwardTrainingInternal(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor runningMean, Tensor runningVar, Tensor saveMean, Tensor saveInvStd, float momentum, float epsilon,
        int n, int c, int inner) =>
        K<F, F, F, F, F, F, F, F, BatchNormShape>(NormalizationKernels.BatchNormForwardTraining)(
            PerGroup(c), V(x), V(gamma), V(beta), V(y),
            V(runningMean), V(runningVar), V(saveMean), V(saveInvStd),
            new BatchNormShape { N = n, C = c, Inner = inner, Momentum = momentum, Epsilon = epsilon });

    protected override void BatchNormForwardInferenceInternal(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, Tensor y, float epsilon, int n, int c, int inner) =>
        K<F, F, F, F, F, F, BatchNormShape>(NormalizationKernels.BatchNormForwardInference)(
            Stride(x.Length), V(x), V(gamma), V(beta),
            V(runningMean), V(runningVar), V(y), new BatchNormShape { N = n, C = c, Inner = inner, Epsilon = epsilon });

    protected override void BatchNormBackwardInternal(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
        Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int inner) =>
        K<F, F, F, F, F, F, F, F, BatchNormShape>(NormalizationKernels.BatchNormBackward)(
            PerGroup(c), V(x), V(dy), V(gamma), V(saveMean), V(saveInvStd),
            V(dx), V(dgamma), V(dbeta), new BatchNormShape { N = n, C = c, Inner = inner });
}

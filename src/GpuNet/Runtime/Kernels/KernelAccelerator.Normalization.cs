namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    private const string Norm = "normalization.cl";

    protected override void LrnForwardInternal(Tensor x, Tensor y, Tensor scale, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        Kernel(Norm, "lrn_forward").Buf(x).Buf(y).Buf(scale).Int(n).Int(c).Int(hw).Int(p.Size).Float(p.Alpha).Float(p.Beta).Float(p.K).Int(p.Groups).Launch(n * p.Groups * hw);
    }

    protected override void LrnBackwardInternal(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3];
        Kernel(Norm, "lrn_backward").Buf(x).Buf(y).Buf(scale).Buf(dy).Buf(dx).Int(n).Int(c).Int(hw).Int(p.Size).Float(p.Alpha).Float(p.Beta).Float(p.K).Int(p.Groups).Launch(n * p.Groups * hw);
    }

    protected override void BatchNormForwardTrainingInternal(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, float momentum, float epsilon, int n, int c, int inner) =>
        Kernel(Norm, "batch_norm_forward_training").Buf(x).Buf(gamma).Buf(beta).Buf(y).Buf(runningMean).Buf(runningVar).Buf(saveMean).Buf(saveInvStd)
            .Float(momentum).Float(epsilon).Int(n).Int(c).Int(inner).Launch(c * ReductionLocal, ReductionLocal);

    protected override void BatchNormForwardInferenceInternal(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, float epsilon, int n, int c, int inner) =>
        Kernel(Norm, "batch_norm_forward_inference").Buf(x).Buf(gamma).Buf(beta).Buf(runningMean).Buf(runningVar).Buf(y).Float(epsilon).Int(n).Int(c).Int(inner).Launch(x.Length);

    protected override void BatchNormBackwardInternal(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int inner) =>
        Kernel(Norm, "batch_norm_backward").Buf(x).Buf(dy).Buf(gamma).Buf(saveMean).Buf(saveInvStd).Buf(dx).Buf(dgamma).Buf(dbeta)
            .Int(n).Int(c).Int(inner).Launch(c * ReductionLocal, ReductionLocal);
}

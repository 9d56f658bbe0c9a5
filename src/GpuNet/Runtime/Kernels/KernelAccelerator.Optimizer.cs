namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    private const string Opt = "optimizer.cl";

    protected override void SgdUpdateInternal(Tensor w, Tensor g, float lr, float weightDecay, float l1) =>
        Kernel(Opt, "sgd_update").Buf(w).Buf(g).Float(lr).Float(weightDecay).Float(l1).Int(w.Length).Launch(w.Length);

    protected override void MomentumUpdateInternal(Tensor w, Tensor g, Tensor v, float lr, float momentum, float weightDecay, float l1) =>
        Kernel(Opt, "momentum_update").Buf(w).Buf(g).Buf(v).Float(lr).Float(momentum).Float(weightDecay).Float(l1).Int(w.Length).Launch(w.Length);

    protected override void AdaGradUpdateInternal(Tensor w, Tensor g, Tensor h, float lr, float epsilon, float weightDecay, float l1) =>
        Kernel(Opt, "ada_grad_update").Buf(w).Buf(g).Buf(h).Float(lr).Float(epsilon).Float(weightDecay).Float(l1).Int(w.Length).Launch(w.Length);

    protected override void RmsPropUpdateInternal(Tensor w, Tensor g, Tensor s, float lr, float rho, float epsilon, float weightDecay, float l1) =>
        Kernel(Opt, "rms_prop_update").Buf(w).Buf(g).Buf(s).Float(lr).Float(rho).Float(epsilon).Float(weightDecay).Float(l1).Int(w.Length).Launch(w.Length);

    protected override void AdamUpdateInternal(Tensor w, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float epsilon, int step, float weightDecay, float l1) =>
        Kernel(Opt, "adam_update").Buf(w).Buf(g).Buf(m).Buf(v).Float(lr).Float(beta1).Float(beta2).Float(epsilon)
            .Float(1f / (1f - MathF.Pow(beta1, step))).Float(1f / (1f - MathF.Pow(beta2, step))).Float(weightDecay).Float(l1).Int(w.Length).Launch(w.Length);
}

namespace GpuNet.Runtime;

/// <summary>
/// Parameter updates. In each, the effective gradient is g' = g + weightDecay · w + l1 · sign(w).
/// State tensors (velocity, moments) have the parameter's shape and are updated in place.
/// </summary>
public abstract partial class Accelerator
{
    /// <summary>w −= lr · g'.</summary>
    public void SgdUpdate(Tensor w, Tensor g, float lr, float weightDecay, float l1)
    { CheckUpdate(w, g); SgdUpdateInternal(w, g, lr, weightDecay, l1); }

    /// <summary>v = μ · v − lr · g'; w += v (classical momentum, as in the AlexNet paper).</summary>
    public void MomentumUpdate(Tensor w, Tensor g, Tensor v, float lr, float momentum, float weightDecay, float l1)
    { CheckUpdate(w, g, v); MomentumUpdateInternal(w, g, v, lr, momentum, weightDecay, l1); }

    /// <summary>h += g'²; w −= lr · g' / (sqrt(h) + eps).</summary>
    public void AdaGradUpdate(Tensor w, Tensor g, Tensor h, float lr, float epsilon, float weightDecay, float l1)
    { CheckUpdate(w, g, h); AdaGradUpdateInternal(w, g, h, lr, epsilon, weightDecay, l1); }

    /// <summary>s = ρ · s + (1 − ρ) · g'²; w −= lr · g' / (sqrt(s) + eps).</summary>
    public void RmsPropUpdate(Tensor w, Tensor g, Tensor s, float lr, float rho, float epsilon, float weightDecay,
        float l1)
    { CheckUpdate(w, g, s); RmsPropUpdateInternal(w, g, s, lr, rho, epsilon, weightDecay, l1); }

    /// <summary>
    /// Adam with bias correction at step t (1-based): m = β1 m + (1 − β1) g'; v = β2 v + (1 − β2) g'²;
    /// w −= lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps).
    /// </summary>
    public void AdamUpdate(Tensor w, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float epsilon,
        int step, float weightDecay, float l1)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"Adam step count starts at 1, got {step}");
        CheckUpdate(w, g, m, v);
        AdamUpdateInternal(w, g, m, v, lr, beta1, beta2, epsilon, step, weightDecay, l1);
    }

    private void CheckUpdate(Tensor w, params Tensor[] others)
    {
        Check(w, nameof(w));
        foreach (var t in others) Check(t, "optimizer tensor", w.Shape);
    }

    protected abstract void SgdUpdateInternal(Tensor w, Tensor g, float lr, float weightDecay, float l1);
    protected abstract void MomentumUpdateInternal(Tensor w, Tensor g, Tensor v, float lr, float momentum,
        float weightDecay, float l1);
    protected abstract void AdaGradUpdateInternal(Tensor w, Tensor g, Tensor h, float lr, float epsilon,
        float weightDecay, float l1);
    protected abstract void RmsPropUpdateInternal(Tensor w, Tensor g, Tensor s, float lr, float rho, float epsilon,
        float weightDecay, float l1);
    protected abstract void AdamUpdateInternal(Tensor w, Tensor g, Tensor m, Tensor v, float lr, float beta1,
        float beta2, float epsilon, int step, float weightDecay, float l1);
}

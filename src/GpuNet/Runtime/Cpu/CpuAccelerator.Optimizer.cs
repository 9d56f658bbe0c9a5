namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    // g' = g + wd·w + l1·sign(w)
    private static float Effective(float g, float w, float weightDecay, float l1) =>
        g + weightDecay * w + (l1 == 0f ? 0f : l1 * MathF.Sign(w));

    private void Update(Tensor w, Action<int, int> body) => For(w.Length, ElementGrain, body);

    protected override void SgdUpdateInternal(Tensor w, Tensor g, float lr, float weightDecay, float l1)
    {
        float* pw = P(w), pg = P(g);
        Update(w, (s, e) => { for (int i = s; i < e; i++) pw[i] -= lr * Effective(pg[i], pw[i], weightDecay, l1); });
    }

    protected override void MomentumUpdateInternal(Tensor w, Tensor g, Tensor v, float lr, float momentum,
        float weightDecay, float l1)
    {
        float* pw = P(w), pg = P(g), pv = P(v);
        Update(w, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                pv[i] = momentum * pv[i] - lr * Effective(pg[i], pw[i], weightDecay, l1);
                pw[i] += pv[i];
            }
        });
    }

    protected override void AdaGradUpdateInternal(Tensor w, Tensor g, Tensor h, float lr, float epsilon,
        float weightDecay, float l1)
    {
        float* pw = P(w), pg = P(g), ph = P(h);
        Update(w, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float gi = Effective(pg[i], pw[i], weightDecay, l1); ph[i] += gi * gi;
                pw[i] -= lr * gi / (MathF.Sqrt(ph[i]) + epsilon);
            }
        });
    }

    protected override void RmsPropUpdateInternal(Tensor w, Tensor g, Tensor sq, float lr, float rho, float epsilon,
        float weightDecay, float l1)
    {
        float* pw = P(w), pg = P(g), ps = P(sq);
        Update(w, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float gi = Effective(pg[i], pw[i], weightDecay, l1);
                ps[i] = rho * ps[i] + (1 - rho) * gi * gi; pw[i] -= lr * gi / (MathF.Sqrt(ps[i]) + epsilon);
            }
        });
    }

    protected override void AdamUpdateInternal(Tensor w, Tensor g, Tensor m, Tensor v, float lr, float beta1,
        float beta2, float epsilon, int step, float weightDecay, float l1)
    {
        float* pw = P(w), pg = P(g), pm = P(m), pv = P(v);
        float c1 = 1f / (1f - MathF.Pow(beta1, step)), c2 = 1f / (1f - MathF.Pow(beta2, step));
        Update(w, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float gi = Effective(pg[i], pw[i], weightDecay, l1);
                pm[i] = beta1 * pm[i] + (1 - beta1) * gi;
                pv[i] = beta2 * pv[i] + (1 - beta2) * gi * gi;
                pw[i] -= lr * (pm[i] * c1) / (MathF.Sqrt(pv[i] * c2) + epsilon);
            }
        });
    }
}

using ILGPU;
using ILGPU.Algorithms;

namespace GpuNet.Kernels;

/// <summary>
/// Parameter updates, grid-stride over elements; g' = g + weightDecay·w + l1·sign(w) (<see cref="Rules"/>).
/// State tensors have the parameter's shape and are updated in place.
/// </summary>
public static class OptimizerKernels
{
    /// <summary>w −= lr · g'.</summary>
    public static void SgdUpdate(ArrayView<float> w, ArrayView<float> g, UpdateParameters p)
    {
        int n = w.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
            w[i] -= p.Lr * Rules.EffectiveGradient(g[i], w[i], p.WeightDecay, p.L1);
    }

    /// <summary>v = μ · v − lr · g'; w += v (μ in <see cref="UpdateParameters.Beta1"/>).</summary>
    public static void MomentumUpdate(ArrayView<float> w, ArrayView<float> g, ArrayView<float> v, UpdateParameters p)
    {
        int n = w.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float vi = p.Beta1 * v[i] - p.Lr * Rules.EffectiveGradient(g[i], w[i], p.WeightDecay, p.L1);
            v[i] = vi;
            w[i] += vi;
        }
    }

    /// <summary>h += g'²; w −= lr · g' / (sqrt(h) + eps).</summary>
    public static void AdaGradUpdate(ArrayView<float> w, ArrayView<float> g, ArrayView<float> h, UpdateParameters p)
    {
        int n = w.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float gi = Rules.EffectiveGradient(g[i], w[i], p.WeightDecay, p.L1);
            float hi = h[i] + gi * gi;
            h[i] = hi;
            w[i] -= p.Lr * gi / (XMath.Sqrt(hi) + p.Epsilon);
        }
    }

    /// <summary>
    /// s = ρ · s + (1 − ρ) · g'²; w −= lr · g' / (sqrt(s) + eps) (ρ in <see cref="UpdateParameters.Beta1"/>).
    /// </summary>
    public static void RmsPropUpdate(ArrayView<float> w, ArrayView<float> g, ArrayView<float> s, UpdateParameters p)
    {
        int n = w.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float gi = Rules.EffectiveGradient(g[i], w[i], p.WeightDecay, p.L1);
            float si = p.Beta1 * s[i] + (1f - p.Beta1) * gi * gi;
            s[i] = si;
            w[i] -= p.Lr * gi / (XMath.Sqrt(si) + p.Epsilon);
        }
    }

    /// <summary>
    /// Adam: m = β1 m + (1 − β1) g'; v = β2 v + (1 − β2) g'²; w −= lr · (m·c1) / (sqrt(v·c2) + eps), where
    /// c1 = 1/(1 − β1^t) and c2 = 1/(1 − β2^t) are the bias corrections, computed on the host.
    /// </summary>
    public static void AdamUpdate(ArrayView<float> w, ArrayView<float> g, ArrayView<float> m, ArrayView<float> v,
        UpdateParameters p)
    {
        int n = w.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float gi = Rules.EffectiveGradient(g[i], w[i], p.WeightDecay, p.L1);
            float mi = p.Beta1 * m[i] + (1f - p.Beta1) * gi;
            float vi = p.Beta2 * v[i] + (1f - p.Beta2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            w[i] -= p.Lr * (mi * p.C1) / (XMath.Sqrt(vi * p.C2) + p.Epsilon);
        }
    }
}

/// <summary>
/// One update's hyper-parameters. Beta1 is the first decay rate of the rule: momentum μ, RMSProp's ρ, Adam's β1.
/// C1 and C2 are Adam's bias corrections.
/// </summary>
public struct UpdateParameters
{
    public float Lr, Beta1, Beta2, Epsilon, C1, C2, WeightDecay, L1;
}

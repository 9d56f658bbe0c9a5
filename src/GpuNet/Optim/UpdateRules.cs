namespace GpuNet.Optim;

/// <summary>
/// The optimizer update rules and their defaults, described once. Per element these are what the accelerators'
/// update ops compute in float (the CPU accelerator vectorised, the ILGPU kernels in kernels/Optimizer.cs; the op tests
/// check both against a double reference), and what the classic MLP (<see cref="Classic.MlpTrainer"/>) applies in
/// double precision. g' = g + weightDecay · w (+ l1 · sign w on the accelerators) is the effective gradient.
/// </summary>
public static class UpdateRules
{
    public const float DefaultMomentum = 0.9f, DefaultRho = 0.9f, DefaultBeta1 = 0.9f, DefaultBeta2 = 0.999f;
    public const float DefaultEpsilon = 1e-8f;
    /// <summary>The slope of leaky ReLU below zero, for the layer and the classic MLP alike.</summary>
    public const float DefaultLeakySlope = 0.01f;

    /// <summary>w −= lr · g'.</summary>
    public static void Sgd(ref double w, double g, double lr) => w -= lr * g;

    /// <summary>v = μ · v − lr · g'; w += v (classical momentum, as in the AlexNet paper).</summary>
    public static void Momentum(ref double w, ref double v, double g, double lr, double mu)
    {
        v = mu * v - lr * g;
        w += v;
    }

    /// <summary>h += g'²; w −= lr · g' / (sqrt(h) + eps).</summary>
    public static void AdaGrad(ref double w, ref double h, double g, double lr, double eps)
    {
        h += g * g;
        w -= lr * g / (Math.Sqrt(h) + eps);
    }

    /// <summary>s = ρ · s + (1 − ρ) · g'²; w −= lr · g' / (sqrt(s) + eps).</summary>
    public static void RmsProp(ref double w, ref double s, double g, double lr, double rho, double eps)
    {
        s = rho * s + (1 - rho) * g * g;
        w -= lr * g / (Math.Sqrt(s) + eps);
    }

    /// <summary>
    /// Adam at step t (1-based): m = β1 m + (1 − β1) g'; v = β2 v + (1 − β2) g'²;
    /// w −= lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + eps).
    /// </summary>
    public static void Adam(ref double w, ref double m, ref double v, double g, double lr, double beta1, double beta2,
        double eps, int t)
    {
        m = beta1 * m + (1 - beta1) * g;
        v = beta2 * v + (1 - beta2) * g * g;
        w -= lr * (m / (1 - Math.Pow(beta1, t))) / (Math.Sqrt(v / (1 - Math.Pow(beta2, t))) + eps);
    }
}

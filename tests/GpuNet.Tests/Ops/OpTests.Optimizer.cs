namespace GpuNet.Tests.Ops;

public abstract partial class OpTests
{
    /// <summary>Three steps of each update rule against the textbook formulas in double precision.</summary>
    [AcceleratorTheory]
    [InlineData("sgd")]
    [InlineData("momentum")]
    [InlineData("adagrad")]
    [InlineData("rmsprop")]
    [InlineData("adam")]
    public void Optimizer_updates_match_the_formulas(string rule)
    {
        const int n = 37; const float lr = 0.1f, wd = 0.01f, l1 = 0.001f;
        float[] w0 = Rand.AwayFromZero(n, 80), g = Rand.Floats(n, 81);
        var w = T(w0, n); var tg = T(g, n); var s1 = Z(n); var s2 = Z(n);
        double[] ew = Rand.D(w0), m = new double[n], v = new double[n];
        for (int step = 1; step <= 3; step++)
        {
            switch (rule)
            {
                case "sgd": Acc.SgdUpdate(w, tg, lr, wd, l1); break;
                case "momentum": Acc.MomentumUpdate(w, tg, s1, lr, 0.9f, wd, l1); break;
                case "adagrad": Acc.AdaGradUpdate(w, tg, s1, lr, 1e-8f, wd, l1); break;
                case "rmsprop": Acc.RmsPropUpdate(w, tg, s1, lr, 0.9f, 1e-8f, wd, l1); break;
                case "adam": Acc.AdamUpdate(w, tg, s1, s2, lr, 0.9f, 0.999f, 1e-8f, step, wd, l1); break;
            }
            for (int i = 0; i < n; i++)
            {
                double gi = g[i] + wd * ew[i] + l1 * Math.Sign(ew[i]);
                switch (rule)
                {
                    case "sgd": ew[i] -= lr * gi; break;
                    case "momentum": m[i] = 0.9 * m[i] - lr * gi; ew[i] += m[i]; break;
                    case "adagrad": m[i] += gi * gi; ew[i] -= lr * gi / (Math.Sqrt(m[i]) + 1e-8); break;
                    case "rmsprop":
                        m[i] = 0.9 * m[i] + 0.1 * gi * gi; ew[i] -= lr * gi / (Math.Sqrt(m[i]) + 1e-8);
                        break;
                    case "adam":
                        m[i] = 0.9 * m[i] + 0.1 * gi; v[i] = 0.999 * v[i] + 0.001 * gi * gi;
                        ew[i] -= lr * (m[i] / (1 - Math.Pow(0.9, step))) / (
                            Math.Sqrt(v[i] / (1 - Math.Pow(0.999, step))) + 1e-8);
                        break;
                }
            }
        }
        Close.All(ew, w.ToArray(), 1e-4, 1e-5, rule);
    }
}

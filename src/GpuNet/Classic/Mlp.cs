using GpuNet.Layers;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

public enum OutputKind { Softmax, Sigmoid, Linear }
public enum Objective { CrossEntropy, Mse }

/// <summary>
/// A multilayer perceptron on MathNet matrices. A batch is a matrix with one sample per column: a⁰ = x (d, m),
/// z = W·a + b, a = σ(z) (hidden: the chosen activation, optionally with batch normalisation before it; last layer:
/// softmax, sigmoid or linear). Backward: δᴸ from the objective, δ = (Wᵀ δ⁺) ⊙ σ′(z), ∇W = δ·aᵀ / m, ∇b = mean of δ.
/// Cross-entropy pairs with softmax or sigmoid output (δᴸ = a − t); MSE (½‖a − t‖² per sample) with any output.
/// </summary>
public sealed class Mlp
{
    private const double BnEpsilon = 1e-5, BnMomentum = 0.1;

    public Mlp(int[] sizes, ActivationKind hidden, OutputKind output, Objective objective, bool batchNorm, Rng rng)
    {
        if (sizes.Length < 2 || sizes.Any(s => s < 1)) throw new ArgumentException(
            $"layer sizes must be at least input,output and positive, got {string.Join(",", sizes)}");
        if (objective == Objective.CrossEntropy && output == OutputKind.Linear)
            throw new ArgumentException(
                "cross-entropy needs a softmax or sigmoid output; use --objective mse with a linear output");
        Sizes = sizes; Hidden = hidden; Output = output; Objective = objective; BatchNorm = batchNorm;
        int L = sizes.Length - 1;
        W = new Matrix<double>[L]; B = new Vector<double>[L];
        for (int l = 0; l < L; l++)
        {
            double r = 1 / Math.Sqrt(sizes[l]);   // uniform ±1/√d, d = fan-in
            W[l] = Matrix<double>.Build.Dense(sizes[l + 1], sizes[l], (_, _) => rng.Uniform((float)-r, (float)r));
            B[l] = Vector<double>.Build.Dense(sizes[l + 1], _ => rng.Uniform((float)-r, (float)r));
        }
        Gamma = new Vector<double>[L]; Beta = new Vector<double>[L]; RunMean = new Vector<double>[L];
        RunVar = new Vector<double>[L];
        for (int l = 0; l < L - 1; l++)
        {
            Gamma[l] = Vector<double>.Build.Dense(sizes[l + 1], 1); Beta[l] = Vector<double>.Build.Dense(sizes[l + 1]);
            RunMean[l] = Vector<double>.Build.Dense(sizes[l + 1]);
            RunVar[l] = Vector<double>.Build.Dense(sizes[l + 1], 1);
        }
    }

    public int[] Sizes { get; }
    public ActivationKind Hidden { get; }
    public OutputKind Output { get; }
    public Objective Objective { get; }
    public bool BatchNorm { get; }
    public Matrix<double>[] W { get; private set; }
    public Vector<double>[] B { get; private set; }
    public Vector<double>[] Gamma { get; private set; }
    public Vector<double>[] Beta { get; private set; }
    public Vector<double>[] RunMean { get; private set; }
    public Vector<double>[] RunVar { get; private set; }
    public int Layers => W.Length;

    /// <summary>What the backward pass needs from a forward pass.</summary>
    private sealed class Trace
    {
        public Matrix<double>[] A = [];        // a⁰ … aᴸ
        public Matrix<double>[] Z = [];        // pre-activation (after batch norm, when on)
        public Matrix<double>[] XHat = [];     // normalised z (batch norm)
        public Vector<double>[] InvStd = [];
    }

    public Matrix<double> Forward(Matrix<double> x, bool training) => Run(x, training, out _);

    private Matrix<double> Run(Matrix<double> x, bool training, out Trace trace)
    {
        int L = Layers, m = x.ColumnCount;
        trace = new Trace
        {
            A = new Matrix<double>[L + 1], Z = new Matrix<double>[L], XHat = new Matrix<double>[L],
            InvStd = new Vector<double>[L]
        };
        trace.A[0] = x;
        var a = x;
        for (int l = 0; l < L; l++)
        {
            var z = W[l] * a;
            var b = B[l];
            z.MapIndexedInplace((i, _, v) => v + b[i]);
            if (BatchNorm && l < L - 1)
            {
                Vector<double> mean, invStd;
                if (training)
                {
                    mean = z.RowSums() / m;
                    var mu = mean;
                    var variance = z.MapIndexed((i, _, v) => (v - mu[i]) * (v - mu[i])).RowSums() / m;
                    invStd = variance.Map(v => 1 / Math.Sqrt(v + BnEpsilon));
                    RunMean[l] = (1 - BnMomentum) * RunMean[l] + BnMomentum * mean;
                    RunVar[l] = (1 - BnMomentum) * RunVar[l] + BnMomentum * (m > 1 ? variance * m / (m - 1) : variance);
                }
                else { mean = RunMean[l]; invStd = RunVar[l].Map(v => 1 / Math.Sqrt(v + BnEpsilon)); }
                var (mu2, inv, g, be) = (mean, invStd, Gamma[l], Beta[l]);
                var xhat = z.MapIndexed((i, _, v) => (v - mu2[i]) * inv[i]);
                trace.XHat[l] = xhat; trace.InvStd[l] = invStd;
                z = xhat.MapIndexed((i, _, v) => g[i] * v + be[i]);
            }
            trace.Z[l] = z;
            a = l < L - 1 ? z.Map(v => Activate(Hidden, v)) : OutputActivation(z);
            trace.A[l + 1] = a;
        }
        return a;
    }

    private Matrix<double> OutputActivation(Matrix<double> z)
    {
        switch (Output)
        {
            case OutputKind.Linear: return z.Clone();
            case OutputKind.Sigmoid: return z.Map(v => 1 / (1 + Math.Exp(-v)));
            default:
                var p = z.Clone();
                for (int c = 0; c < p.ColumnCount; c++)
                {
                    var col = p.Column(c);
                    double max = col.Maximum();
                    col.MapInplace(v => Math.Exp(v - max));
                    p.SetColumn(c, col / col.Sum());
                }
                return p;
        }
    }

    public static double Activate(ActivationKind f, double z) => f switch
    {
        ActivationKind.Sigmoid => 1 / (1 + Math.Exp(-z)),
        ActivationKind.Tanh => Math.Tanh(z),
        ActivationKind.Relu => Math.Max(z, 0),
        _ => z > 0 ? z : Optim.UpdateRules.DefaultLeakySlope * z,
    };

    public static double Derivative(ActivationKind f, double z, double a) => f switch
    {
        ActivationKind.Sigmoid => a * (1 - a),
        ActivationKind.Tanh => 1 - a * a,
        ActivationKind.Relu => z > 0 ? 1 : 0,
        _ => z > 0 ? 1 : Optim.UpdateRules.DefaultLeakySlope,
    };

    /// <summary>Mean loss of outputs a (k, m) against targets t (k, m).</summary>
    public double Loss(Matrix<double> a, Matrix<double> t)
    {
        int m = a.ColumnCount;
        const double tiny = 1e-300;
        if (Objective == Objective.Mse) return 0.5 * (a - t).PointwisePower(2).Enumerate().Sum() / m;
        if (Output == OutputKind.Softmax)
            return -t.PointwiseMultiply(a.Map(v => Math.Log(Math.Max(v, tiny)))).Enumerate().Sum() / m;
        return -Enumerable.Range(0, a.RowCount).SelectMany(i => Enumerable.Range(0, m).Select(j =>
            t[i, j] * Math.Log(Math.Max(a[i, j], tiny)) + (1 - t[i, j]) * Math.Log(Math.Max(1 - a[i, j], tiny))))
                .Sum() / m;
    }

    /// <summary>Gradients of the mean loss, in the shapes of W, B, Gamma, Beta.</summary>
    public sealed record Gradients(Matrix<double>[] W, Vector<double>[] B, Vector<double>[] Gamma,
        Vector<double>[] Beta);

    /// <summary>One forward (training mode) and backward pass: (loss, gradients).</summary>
    public (double Loss, Gradients Grads) LossAndGradients(Matrix<double> x, Matrix<double> t)
    {
        int L = Layers, m = x.ColumnCount;
        var a = Run(x, training: true, out var tr);
        double loss = Loss(a, t);
        var gW = new Matrix<double>[L]; var gB = new Vector<double>[L]; var gG = new Vector<double>[L];
        var gBe = new Vector<double>[L];
        // δᴸ
        Matrix<double> delta;
        var diff = a - t;
        if (Objective == Objective.CrossEntropy) delta = diff;
        else delta = Output switch
        {
            OutputKind.Linear => diff,
            OutputKind.Sigmoid => diff.PointwiseMultiply(a.Map(v => v * (1 - v))),
            _ => SoftmaxJacobianT(a, diff),
        };
        for (int l = L - 1; l >= 0; l--)
        {
            if (l < L - 1)
            {
                // δ = (W⁺ᵀ δ⁺) ⊙ σ′(z)
                var back = W[l + 1].TransposeThisAndMultiply(delta);
                var (z, act) = (tr.Z[l], tr.A[l + 1]);
                delta = back.MapIndexed((i, j, v) => v * Derivative(Hidden, z[i, j], act[i, j]));
                if (BatchNorm)
                {
                    // through y = γ x̂ + β and x̂ = (z − μ)·inv: dz = γ·inv/m · (m·dy − Σdy − x̂·Σ(dy·x̂))
                    var xhat = tr.XHat[l];
                    gBe[l] = delta.RowSums() / m;
                    gG[l] = delta.PointwiseMultiply(xhat).RowSums() / m;
                    var sumDy = delta.RowSums(); var sumDyX = delta.PointwiseMultiply(xhat).RowSums();
                    var (g, inv) = (Gamma[l], tr.InvStd[l]);
                    var d0 = delta;
                    delta = d0.MapIndexed((i, j, v) => g[i] * inv[i] / m * (m * v - sumDy[i] - xhat[i, j] * sumDyX[i]));
                }
            }
            gW[l] = delta.TransposeAndMultiply(tr.A[l]) / m;
            gB[l] = delta.RowSums() / m;
        }
        return (loss, new Gradients(gW, gB, gG, gBe));
    }

    // For MSE on a softmax output: δ = Jᵀ (a − t), J_ij = a_i (δ_ij − a_j).
    private static Matrix<double> SoftmaxJacobianT(Matrix<double> a, Matrix<double> diff)
    {
        var d = Matrix<double>.Build.Dense(a.RowCount, a.ColumnCount);
        for (int c = 0; c < a.ColumnCount; c++)
        {
            double s = 0;
            for (int i = 0; i < a.RowCount; i++) s += diff[i, c] * a[i, c];
            for (int i = 0; i < a.RowCount; i++) d[i, c] = a[i, c] * (diff[i, c] - s);
        }
        return d;
    }

    /// <summary>
    /// Every parameter array with its gradient's array, in a fixed order (for optimizers and checkpoints).
    /// </summary>
    public IEnumerable<(string Name, double[] Value, bool Decays)> Parameters()
    {
        for (int l = 0; l < Layers; l++)
        {
            yield return ($"w{l}", W[l].AsColumnMajorArray(), true);
            yield return ($"b{l}", B[l].AsArray(), false);
            if (BatchNorm && l < Layers - 1)
            {
                yield return ($"gamma{l}", Gamma[l].AsArray(), false);
                yield return ($"beta{l}", Beta[l].AsArray(), false);
            }
        }
    }

    public static IEnumerable<double[]> GradientArrays(Gradients g, int layers, bool batchNorm)
    {
        for (int l = 0; l < layers; l++)
        {
            yield return g.W[l].AsColumnMajorArray();
            yield return g.B[l].AsArray();
            if (batchNorm && l < layers - 1) { yield return g.Gamma[l].AsArray(); yield return g.Beta[l].AsArray(); }
        }
    }

    /// <summary>A deep copy (the best-on-validation model is kept this way).</summary>
    public Mlp Clone()
    {
        var c = (Mlp)MemberwiseClone();
        c.W = W.Select(w => w.Clone()).ToArray();
        c.B = B.Select(b => b.Clone()).ToArray();
        c.Gamma = Gamma.Select(v => v?.Clone()!).ToArray();
        c.Beta = Beta.Select(v => v?.Clone()!).ToArray();
        c.RunMean = RunMean.Select(v => v?.Clone()!).ToArray();
        c.RunVar = RunVar.Select(v => v?.Clone()!).ToArray();
        return c;
    }
}

using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

public enum CovarianceKind { Full, Diag, Spherical }

public sealed record GmmIteration(int Iteration, double LogLikelihood);

public sealed record GmmResult(double[] Weights, Matrix<double> Means, Matrix<double>[] Covariances,
    Matrix<double> Responsibilities,
    int[] Assignments, List<GmmIteration> History, bool Converged);

/// <summary>
/// Gaussian mixture fitted by EM. Responsibilities are computed in log space (log-sum-exp); every covariance gets
/// <see cref="Regularization"/> added to its diagonal so it stays positive definite, and a component that collapses
/// (almost no responsibility, or a covariance that is not positive definite even so) stops the fit with a message
/// saying which and what to try, never NaN.
/// </summary>
public sealed class Gmm
{
    public int K { get; init; } = 2;
    public CovarianceKind Covariance { get; init; } = CovarianceKind.Full;
    public double Tolerance { get; init; } = 1e-6;
    public int MaxIterations { get; init; } = 200;
    public double Regularization { get; init; } = 1e-6;
    /// <summary>
    /// When set, every component keeps the isotropic covariance σ²·I with this σ² (the k-means limit).
    /// </summary>
    public double? FixedVariance { get; init; }
    /// <summary>When true, the weights stay equal (1/K).</summary>
    public bool FixedWeights { get; init; }
    public ulong Seed { get; init; } = 1;

    public GmmResult Fit(Matrix<double> x, Matrix<double>? initialMeans = null,
        Action<GmmIteration>? onIteration = null)
    {
        int n = x.RowCount, d = x.ColumnCount, k = K;
        if (k < 1 || k > n) throw new ArgumentException($"--k must be between 1 and the {n} samples, got {k}");
        // initial means: the best of a few k-means runs (or given); shared covariance = data covariance; equal weights
        var means = initialMeans?.Clone() ?? KMeans.Fit(x, k, restarts: 5, Seed).Centroids;
        var dataCov = n > 1 ? Pca.Covariance(x, out _) : Matrix<double>.Build.DenseIdentity(d);
        var covs = Enumerable.Range(0, k).Select(_ => Shape(dataCov)).ToArray();
        var weights = Enumerable.Repeat(1.0 / k, k).ToArray();
        var resp = Matrix<double>.Build.Dense(n, k);
        var history = new List<GmmIteration>();
        bool converged = false;
        double previous = double.NegativeInfinity;
        for (int it = 1; it <= MaxIterations; it++)
        {
            double ll = EStep(x, weights, means, covs, resp);
            var record = new GmmIteration(it, ll);
            history.Add(record);
            onIteration?.Invoke(record);
            if (Math.Abs(ll - previous) <= Tolerance * Math.Max(1, Math.Abs(ll))) { converged = true; break; }
            previous = ll;
            MStep(x, resp, weights, means, covs);
        }
        var assign = Enumerable.Range(0, n).Select(i => resp.Row(i).MaximumIndex()).ToArray();
        return new GmmResult(weights, means, covs, resp, assign, history, converged);
    }

    private Matrix<double> Shape(Matrix<double> cov)
    {
        int d = cov.RowCount;
        if (FixedVariance is double v) return Matrix<double>.Build.DenseIdentity(d) * v;
        return Covariance switch
        {
            CovarianceKind.Full => cov + Matrix<double>.Build.DenseIdentity(d) * Regularization,
            CovarianceKind.Diag => Matrix<double>.Build.DenseOfDiagonalVector(cov.Diagonal())
                + Matrix<double>.Build.DenseIdentity(d) * Regularization,
            _ => Matrix<double>.Build.DenseIdentity(d) * (cov.Trace() / d + Regularization),
        };
    }

    /// <summary>Fills responsibilities; returns the log-likelihood Σ_i log Σ_j w_j N(x_i | μ_j, Σ_j).</summary>
    private double EStep(Matrix<double> x, double[] w, Matrix<double> means, Matrix<double>[] covs, Matrix<double> resp)
    {
        int n = x.RowCount, d = x.ColumnCount, k = means.RowCount;
        var logDensity = new double[k][];
        for (int j = 0; j < k; j++)
        {
            MathNet.Numerics.LinearAlgebra.Factorization.Cholesky<double> chol;
            try { chol = covs[j].Cholesky(); }
            catch (ArgumentException)
            {
                throw new GmmCollapseException(
                    $"component {j + 1} collapsed: its covariance is not positive definite (its points are (nearly) " +
                    "identical or lie in a lower-dimensional subspace); use fewer components, --covariance diag or " +
                    $"spherical, or a larger --reg (now {Regularization})");
            }
            double logDet = 2 * chol.Factor.Diagonal().Sum(Math.Log);
            double c = -0.5 * (d * Math.Log(2 * Math.PI) + logDet);
            logDensity[j] = new double[n];
            for (int i = 0; i < n; i++)
            {
                var diff = x.Row(i) - means.Row(j);
                var z = chol.Factor.Solve(diff);   // L z = diff → diffᵀ Σ⁻¹ diff = |z|²
                logDensity[j][i] = c - 0.5 * z.DotProduct(z) + Math.Log(w[j]);
            }
        }
        double ll = 0;
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < k; j++) max = Math.Max(max, logDensity[j][i]);
            double sum = 0;
            for (int j = 0; j < k; j++) sum += Math.Exp(logDensity[j][i] - max);
            double lse = max + Math.Log(sum);
            ll += lse;
            for (int j = 0; j < k; j++) resp[i, j] = Math.Exp(logDensity[j][i] - lse);
        }
        return ll;
    }

    private void MStep(Matrix<double> x, Matrix<double> resp, double[] w, Matrix<double> means, Matrix<double>[] covs)
    {
        int n = x.RowCount, d = x.ColumnCount, k = means.RowCount;
        for (int j = 0; j < k; j++)
        {
            var r = resp.Column(j);
            double nj = r.Sum();
            if (nj < 1e-8 * n + 1e-12)
                throw new GmmCollapseException(
                    $"component {j + 1} collapsed: it holds no points (total responsibility {nj:G3}); use fewer " +
                    "components (--k) or another --seed");
            if (!FixedWeights) w[j] = nj / n;
            var mu = (x.TransposeThisAndMultiply(r)) / nj;
            means.SetRow(j, mu);
            if (FixedVariance is not null) continue;
            var centred = x.MapIndexed((_, f, v) => v - mu[f]);
            var weighted = centred.MapIndexed((i, _, v) => v * r[i]);
            var cov = weighted.TransposeThisAndMultiply(centred) / nj;
            covs[j] = Shape(cov);
        }
    }
}

public sealed class GmmCollapseException(string message) : Exception(message);

using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

/// <summary>
/// Principal component analysis by eigen-decomposition of the covariance matrix (MathNet's symmetric EVD).
/// Components are the eigenvectors by decreasing eigenvalue, signs fixed so the largest entry of each is positive.
/// </summary>
public sealed class Pca
{
    private Pca(Vector<double> mean, Matrix<double> components, Vector<double> variances, double total)
    {
        Mean = mean; Components = components; Variances = variances; TotalVariance = total;
    }

    public Vector<double> Mean { get; }
    /// <summary>(features, components): column j is the j-th principal direction.</summary>
    public Matrix<double> Components { get; }
    /// <summary>Variance along each component (the covariance eigenvalues, unbiased).</summary>
    public Vector<double> Variances { get; }
    public double TotalVariance { get; }
    public Vector<double> ExplainedRatio => Variances / TotalVariance;

    public static Matrix<double> Covariance(Matrix<double> x, out Vector<double> mean)
    {
        if (x.RowCount < 2) throw new ArgumentException($"covariance needs at least 2 samples, got {x.RowCount}");
        mean = x.ColumnSums() / x.RowCount;
        var m = mean;
        var centred = x.MapIndexed((_, j, v) => v - m[j]);
        return centred.TransposeThisAndMultiply(centred) / (x.RowCount - 1);
    }

    /// <summary>Fits <paramref name="components"/> components to the rows of x (samples × features).</summary>
    public static Pca Fit(Matrix<double> x, int components)
    {
        if (components < 1 || components > x.ColumnCount)
            throw new ArgumentException(
                $"--components must be between 1 and the {x.ColumnCount} features, got {components}");
        var cov = Covariance(x, out var mean);
        var (values, vectors) = Maths.SymmetricEigen.Of(cov);
        var comps = vectors.SubMatrix(0, vectors.RowCount, 0, components);
        return new Pca(mean, comps, values.SubVector(0, components), values.Sum());
    }

    /// <summary>
    /// The same components from the SVD of the centred data (X − μ = U Σ Vᵀ: components are V's columns, variances
    /// σ²/(n − 1)); numerically kinder when features are many or nearly collinear.
    /// </summary>
    public static Pca FitBySvd(Matrix<double> x, int components)
    {
        if (components < 1 || components > Math.Min(x.ColumnCount, x.RowCount))
            throw new ArgumentException(
                $"--components must be between 1 and {Math.Min(x.ColumnCount, x.RowCount)}, got {components}");
        var mean = x.ColumnSums() / x.RowCount;
        var svd = x.MapIndexed((_, j, v) => v - mean[j]).Svd(computeVectors: true);
        var variances = svd.S.Map(sv => sv * sv / (x.RowCount - 1));
        var vt = svd.VT;
        var comps = Matrix<double>.Build.Dense(x.ColumnCount, components, (r, c) => vt[c, r]);
        for (int c = 0; c < components; c++)
        {
            var col = comps.Column(c);
            if (col[col.AbsoluteMaximumIndex()] < 0) comps.SetColumn(c, -col);
        }
        return new Pca(mean, comps, variances.SubVector(0, components), variances.Sum());
    }

    /// <summary>Projects rows of x onto the components: (samples, components).</summary>
    public Matrix<double> Transform(Matrix<double> x) => x.MapIndexed((_, j, v) => v - Mean[j]) * Components;
}

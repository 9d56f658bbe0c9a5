using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace GpuNet.Maths;

/// <summary>
/// The eigen-decomposition of symmetric matrices, shared by PCA (Classic) and AlexNet's PCA colour augmentation (Data):
/// eigenvalues in decreasing order, unit eigenvectors with their largest component positive (a fixed sign, so the
/// same data gives the same vectors).
/// </summary>
public static class SymmetricEigen
{
    /// <summary>
    /// Eigenvalues of a symmetric matrix in decreasing order and the matching unit eigenvectors (columns).
    /// </summary>
    public static (Vector<double> Values, Matrix<double> Vectors) Of(Matrix<double> symmetric)
    {
        var evd = symmetric.Evd(Symmetricity.Symmetric);
        var order = Enumerable.Range(0, symmetric.RowCount).OrderByDescending(i => evd.EigenValues[i].Real).ToArray();
        var values = Vector<double>.Build.Dense(order.Length, i => evd.EigenValues[order[i]].Real);
        var vectors = Matrix<double>.Build.Dense(symmetric.RowCount, order.Length, (r, c) => evd.EigenVectors[r,
            order[c]]);
        for (int c = 0; c < vectors.ColumnCount; c++)
        {
            var col = vectors.Column(c);
            if (col[col.AbsoluteMaximumIndex()] < 0) vectors.SetColumn(c, -col);
        }
        return (values, vectors);
    }
}

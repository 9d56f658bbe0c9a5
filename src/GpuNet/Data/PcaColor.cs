using System.Globalization;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Data;

/// <summary>
/// AlexNet's colour augmentation (Krizhevsky et al. 2012, §4.1): adds Σⱼ pⱼ αⱼ λⱼ to every RGB pixel, with pⱼ, λⱼ the
/// eigenvectors and eigenvalues of the RGB covariance of the training images (<see cref="Lighting"/>) and
/// αⱼ ~ N(0, σ²) drawn once per image. A <see cref="Transform"/> hands the step the eigenbasis it was built with;
/// without one (gray models) the step draws nothing and does nothing.
/// </summary>
public sealed record PcaColor(float Sigma) : ImageStep
{
    /// <summary>The eigen-decomposition of the training images' RGB covariance, or null.</summary>
    public ColorPca? Lighting { get; init; }

    public override bool IsRandom => true;

    public override void Apply(ref Frame f, Rng rng, int view)
    {
        if (Lighting is not null && Sigma > 0) f.Shift += Lighting.Draw(rng, Sigma);
    }

    public override string ToString() => $"pca-color:{Sigma.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>
/// Eigenvalues (decreasing) and unit eigenvectors (columns, row-major 3×3) of the RGB covariance, in [0, 1] units.
/// </summary>
public sealed record ColorPca(float[] Values, float[] Vectors)
{
    /// <summary>
    /// Covariance of the RGB values of every <paramref name="step"/>-th pixel of the images, decomposed with MathNet's
    /// symmetric EVD.
    /// </summary>
    public static ColorPca Fit(IEnumerable<Image> images, int step = 7)
    {
        double n = 0;
        var s = new double[3]; var s2 = new double[3, 3];
        foreach (var im in images)
        {
            if (im.Channels != 3) continue;
            for (long p = 0, count = (long)im.Width * im.Height; p < count; p += step)
            {
                double r = im.Pixels[3 * p] / 255.0, g = im.Pixels[3 * p + 1] / 255.0, b = im.Pixels[3 * p + 2] / 255.0;
                Span<double> v = [r, g, b];
                for (int i = 0; i < 3; i++) { s[i] += v[i]; for (int j = 0; j < 3; j++) s2[i, j] += v[i] * v[j]; }
                n++;
            }
        }
        if (n < 2)
            throw new DataException("PCA colour augmentation needs RGB training images; none were found " +
                "(drop pca-color from --train-transform)");
        var cov = Matrix<double>.Build.Dense(3, 3, (i, j) => (s2[i, j] - s[i] * s[j] / n) / (n - 1));
        var (values, vectors) = Maths.SymmetricEigen.Of(cov);
        return new ColorPca(values.Select(v => (float)Math.Max(v, 0)).ToArray(),
            Enumerable.Range(0, 9).Select(k => (float)vectors[k / 3, k % 3]).ToArray());
    }

    /// <summary>The RGB shift for one image: Σⱼ pⱼ αⱼ λⱼ with αⱼ ~ N(0, σ²).</summary>
    public Vector3 Draw(Rng rng, float sigma)
    {
        Span<float> a = stackalloc float[3];
        for (int j = 0; j < 3; j++) a[j] = (float)(rng.NextGaussian() * sigma) * Values[j];
        return new Vector3(
            Vectors[0] * a[0] + Vectors[1] * a[1] + Vectors[2] * a[2],
            Vectors[3] * a[0] + Vectors[4] * a[1] + Vectors[5] * a[2],
            Vectors[6] * a[0] + Vectors[7] * a[1] + Vectors[8] * a[2]);
    }
}

using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

public sealed record KMeansResult(Matrix<double> Centroids, int[] Assignments, double Wcss, int Iterations,
    int BestRestart);

/// <summary>
/// k-means (Lloyd's iterations) with k-means++ initialisation and restarts; the run with the lowest WCSS wins.
/// </summary>
public static class KMeans
{
    public static KMeansResult Fit(Matrix<double> x, int k, int restarts, ulong seed, int maxIterations = 300,
        Action<int, int, double>? onIteration = null,
        Matrix<double>? initialCentroids = null)
    {
        if (k < 1 || k > x.RowCount)
            throw new ArgumentException($"--k must be between 1 and the {x.RowCount} samples, got {k}");
        if (restarts < 1) throw new ArgumentException($"--restarts must be at least 1, got {restarts}");
        var rng = new Rng(seed);
        KMeansResult? best = null;
        for (int r = 0; r < (initialCentroids is null ? restarts : 1); r++)
        {
            var c = initialCentroids?.Clone() ?? PlusPlus(x, k, rng);
            var (assign, wcss, iters) = Lloyd(x, c, maxIterations, (it, w) => onIteration?.Invoke(r, it, w));
            if (best is null || wcss < best.Wcss - 1e-12) best = new KMeansResult(c, assign, wcss, iters, r);
        }
        return best!;
    }

    /// <summary>
    /// k-means++: first centroid uniform, each next one with probability ∝ squared distance to the nearest chosen.
    /// </summary>
    public static Matrix<double> PlusPlus(Matrix<double> x, int k, Rng rng)
    {
        var c = Matrix<double>.Build.Dense(k, x.ColumnCount);
        c.SetRow(0, x.Row(rng.Next(x.RowCount)));
        var d2 = Enumerable.Range(0, x.RowCount).Select(i => (x.Row(i) - c.Row(0)).DotProduct(x.Row(i) - c.Row(0)))
            .ToArray();
        for (int j = 1; j < k; j++)
        {
            double total = d2.Sum(), u = rng.NextDouble() * total, acc = 0;
            int pick = x.RowCount - 1;
            for (int i = 0; i < x.RowCount; i++) { acc += d2[i]; if (acc >= u && d2[i] > 0) { pick = i; break; } }
            c.SetRow(j, x.Row(pick));
            for (int i = 0; i < x.RowCount; i++)
            {
                var d = x.Row(i) - c.Row(j);
                d2[i] = Math.Min(d2[i], d.DotProduct(d));
            }
        }
        return c;
    }

    /// <summary>
    /// Lloyd's iterations from the given centroids (updated in place) until assignments stop changing.
    /// </summary>
    public static (int[] Assignments, double Wcss, int Iterations)
        Lloyd(Matrix<double> x, Matrix<double> c, int maxIterations, Action<int, double>? onIteration = null)
    {
        int n = x.RowCount, k = c.RowCount;
        var assign = Enumerable.Repeat(-1, n).ToArray();
        double wcss = 0;
        for (int it = 1; it <= maxIterations; it++)
        {
            bool changed = false;
            wcss = 0;
            for (int i = 0; i < n; i++)
            {
                var (j, d) = Nearest(x.Row(i), c);
                wcss += d;
                if (assign[i] != j) { assign[i] = j; changed = true; }
            }
            onIteration?.Invoke(it, wcss);
            if (!changed) return (assign, wcss, it);
            for (int j = 0; j < k; j++)
            {
                var members = Enumerable.Range(0, n).Where(i => assign[i] == j).ToArray();
                if (members.Length == 0) continue;   // an empty cluster keeps its centroid
                var sum = Vector<double>.Build.Dense(x.ColumnCount);
                foreach (int i in members) sum += x.Row(i);
                c.SetRow(j, sum / members.Length);
            }
        }
        return (assign, wcss, maxIterations);
    }

    public static (int Index, double Distance2) Nearest(Vector<double> p, Matrix<double> c)
    {
        int best = 0; double bestD = double.PositiveInfinity;
        for (int j = 0; j < c.RowCount; j++)
        {
            double d = 0;
            for (int f = 0; f < p.Count; f++) { double t = p[f] - c[j, f]; d += t * t; }
            if (d < bestD) { bestD = d; best = j; }
        }
        return (best, bestD);
    }
}

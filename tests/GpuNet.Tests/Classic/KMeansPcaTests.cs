using GpuNet.Classic;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Tests.Classic;

public sealed class KMeansPcaTests
{
    /// <summary>
    /// An independent brute force: plain Lloyd from many uniformly random starts, its own distance code.
    /// </summary>
    private static double BestOfRandomStarts(Matrix<double> x, int k, int starts, int seed)
    {
        var r = new Random(seed);
        double best = double.PositiveInfinity;
        for (int s = 0; s < starts; s++)
        {
            var c = Enumerable.Range(0, x.RowCount).OrderBy(_ => r.Next()).Take(k).Select(i => x.Row(i).ToArray())
                .ToArray();
            var assign = new int[x.RowCount];
            for (int it = 0; it < 200; it++)
            {
                for (int i = 0; i < x.RowCount; i++)
                    assign[i] = Enumerable.Range(0, k)
                        .MinBy(j => Enumerable.Range(0, x.ColumnCount).Sum(f => Math.Pow(x[i, f] - c[j][f], 2)));
                var next = Enumerable.Range(0, k).Select(j =>
                {
                    var members = Enumerable.Range(0, x.RowCount).Where(i => assign[i] == j).ToArray();
                    return members.Length == 0 ? c[j]
                        : Enumerable.Range(0, x.ColumnCount).Select(f => members.Average(i => x[i, f])).ToArray();
                }).ToArray();
                if (next.Zip(c).All(p => p.First.SequenceEqual(p.Second))) break;
                c = next;
            }
            double wcss = Enumerable.Range(0, x.RowCount)
                .Sum(i => Enumerable.Range(0, x.ColumnCount).Sum(f => Math.Pow(x[i, f] - c[assign[i]][f], 2)));
            best = Math.Min(best, wcss);
        }
        return best;
    }

    [Fact]
    public void Kmeans_with_restarts_finds_the_best_wcss_of_many_random_starts_on_iris()
    {
        var x = Iris.Load().X;
        var ours = KMeans.Fit(x, 3, restarts: 10, seed: 1);
        double brute = BestOfRandomStarts(x, 3, 60, 5);
        Assert.True(ours.Wcss <= brute + 1e-9,
            $"k-means++ with restarts: {ours.Wcss}, best of 60 random starts: {brute}");
        Assert.Equal(78.851, ours.Wcss, 3);   // the known optimum for Iris, k = 3
    }

    [Fact]
    public void Pca_matches_the_covariance_eigen_decomposition()
    {
        var x = Iris.Load().X;
        var p = Pca.Fit(x, 2);
        Assert.Equal(0.9246, p.ExplainedRatio[0], 4);
        Assert.Equal(0.0531, p.ExplainedRatio[1], 4);
        var cov = Pca.Covariance(x, out _);
        for (int j = 0; j < 2; j++)
        {
            var v = p.Components.Column(j);
            Assert.Equal(1.0, v.L2Norm(), 10);
            var cv = cov * v;
            for (int i = 0; i < v.Count; i++) Assert.Equal(p.Variances[j] * v[i], cv[i], 10);   // C v = λ v
        }
        // projections are uncorrelated, with the component variances
        var proj = p.Transform(x);
        var pc = Pca.Covariance(proj, out _);
        Assert.Equal(p.Variances[0], pc[0, 0], 8);
        Assert.Equal(0, pc[0, 1], 8);
    }

    [Fact]
    public void Svd_and_eigen_decomposition_give_the_same_components()
    {
        var x = Iris.Load().X;
        var a = Pca.Fit(x, 3);
        var b = Pca.FitBySvd(x, 3);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(a.Variances[j], b.Variances[j], 9);
            for (int i = 0; i < 4; i++) Assert.Equal(a.Components[i, j], b.Components[i, j], 9);
        }
        Assert.Equal(a.TotalVariance, b.TotalVariance, 9);
    }

    [Fact]
    public void Csv_errors_name_the_file_line_and_value()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "a,b,label\n1,2,x\n3,oops,y\n");
            var e = Assert.Throws<GpuNet.Data.DataException>(() => CsvData.Load(path, -1));
            Assert.Contains($"{path}:3", e.Message); Assert.Contains("'oops'", e.Message);
            File.WriteAllText(path, "1,2,x\n3,4\n");
            Assert.Contains("2 columns, expected 3",
                Assert.Throws<GpuNet.Data.DataException>(() => CsvData.Load(path, -1)).Message);
            File.WriteAllText(path, "1,2,b\n3,4,a\n");
            var ok = CsvData.Load(path, -1);
            Assert.Equal(["a", "b"], ok.Classes); Assert.Equal([1, 0], ok.Labels!);
        }
        finally { File.Delete(path); }
    }
}

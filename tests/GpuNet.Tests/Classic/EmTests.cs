using GpuNet.Classic;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Tests.Classic;

public sealed class EmTests
{
    private static readonly int[] Tosses = [1, 1, 0, 1, 0, 0, 1, 0, 1, 1];

    [Fact]
    public void Three_coins_from_one_half_reach_the_textbook_answer_in_one_step_and_stay()
    {
        var h = ThreeCoins.Fit(Tosses, 0.5, 0.5, 0.5);
        Assert.Equal(0.5, h[1].Pi, 12); Assert.Equal(0.6, h[1].P, 12); Assert.Equal(0.6, h[1].Q, 12);
        Assert.All(h.Skip(1),
            it => { Assert.Equal(0.5, it.Pi, 12); Assert.Equal(0.6, it.P, 12); Assert.Equal(0.6, it.Q, 12); });
        // from (0.4, 0.6, 0.7) the classic example converges to (0.4064, 0.5368, 0.6432)
        var h2 = ThreeCoins.Fit(Tosses, 0.4, 0.6, 0.7);
        Assert.Equal(0.4064, h2[^1].Pi, 4); Assert.Equal(0.5368, h2[^1].P, 4); Assert.Equal(0.6432, h2[^1].Q, 4);
    }

    [Theory, InlineData(1UL), InlineData(2UL), InlineData(3UL), InlineData(4UL), InlineData(5UL)]
    public void Log_likelihood_never_decreases(ulong seed)
    {
        var rng = new Rng(seed);
        var y = Enumerable.Range(0, 40).Select(_ => rng.NextDouble() < 0.6 ? 1 : 0).ToArray();
        var h = ThreeCoins.Fit(y, rng.Uniform(0.1f, 0.9f), rng.Uniform(0.1f, 0.9f), rng.Uniform(0.1f, 0.9f));
        for (int i = 1; i < h.Count; i++) Assert.True(h[i].LogLikelihood >= h[i - 1].LogLikelihood - 1e-12,
            $"coins seed {seed}: LL fell at iteration {i}");

        var x = Iris.Load().X;
        foreach (var cov in new[] { CovarianceKind.Full, CovarianceKind.Diag, CovarianceKind.Spherical })
        {
            var gh = new Gmm { K = 3, Covariance = cov, Seed = seed, Tolerance = 1e-10 }.Fit(x).History;
            for (int i = 1; i < gh.Count; i++)
                Assert.True(gh[i].LogLikelihood >= gh[i - 1].LogLikelihood - 1e-8 * Math.Abs(gh[i - 1].LogLikelihood),
                    $"GMM {cov} seed {seed}: LL fell at iteration {i}");
        }
    }

    [Theory, InlineData(1UL), InlineData(7UL), InlineData(11UL)]
    public void A_gmm_with_small_shared_isotropic_covariance_and_equal_weights_assigns_like_kmeans(ulong seed)
    {
        var x = Iris.Load().X;
        var init = KMeans.PlusPlus(x, 3, new Rng(seed));
        var (kAssign, _, _) = KMeans.Lloyd(x, init.Clone(), 300);
        var g = new Gmm { K = 3, FixedVariance = 1e-3, FixedWeights = true, Tolerance = 0, MaxIterations = 100 }.Fit(x,
            init.Clone());
        Assert.Equal(kAssign, g.Assignments);
    }

    [Fact]
    public void A_collapsing_component_is_a_clear_message_not_nan()
    {
        // 4 points, two of them identical; a full covariance for 4 components cannot be estimated
        var x = Matrix<double>.Build.DenseOfRowArrays([1.0, 1.0], [1.0, 1.0], [5.0, 5.0], [9.0, 2.0]);
        var e = Assert.Throws<GmmCollapseException>(() => new Gmm { K = 4, Regularization = 0 }.Fit(x));
        Assert.Contains("collapsed", e.Message);
    }
}

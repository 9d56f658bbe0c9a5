namespace GpuNet.Classic;

public sealed record CoinsIteration(int Iteration, double Pi, double P, double Q, double LogLikelihood);

/// <summary>
/// EM for the three-coin model: coin A (heads with probability π) picks coin B (p) or coin C (q), which is tossed and
/// only its result y ∈ {0, 1} is seen. E-step: μ_j = π p^y (1−p)^(1−y) / [π p^y (1−p)^(1−y) + (1−π) q^y (1−q)^(1−y)];
/// M-step: π = mean μ, p = Σ μ y / Σ μ, q = Σ (1−μ) y / Σ (1−μ).
/// </summary>
public static class ThreeCoins
{
    public static double LogLikelihood(IReadOnlyList<int> y, double pi, double p, double q) =>
        y.Sum(v => Math.Log(pi * Bern(p, v) + (1 - pi) * Bern(q, v)));

    private static double Bern(double p, int y) => y == 1 ? p : 1 - p;

    /// <summary>Iteration 0 is the initial guess; stops when no parameter moves more than tolerance.</summary>
    public static List<CoinsIteration> Fit(IReadOnlyList<int> y, double pi, double p, double q, int maxIterations = 100,
        double tolerance = 1e-10)
    {
        if (y.Count == 0) throw new ArgumentException("no observations");
        if (y.Any(v => v is not (0 or 1))) throw new ArgumentException("observations must be 0 or 1");
        foreach (var (name, v) in new[] { ("π", pi), ("p", p), ("q", q) })
            if (v is <= 0 or >= 1)
                throw new ArgumentException($"initial {name} = {v} must lie strictly between 0 and 1");
        var history = new List<CoinsIteration> { new(0, pi, p, q, LogLikelihood(y, pi, p, q)) };
        for (int it = 1; it <= maxIterations; it++)
        {
            var mu = y.Select(v => pi * Bern(p, v) / (pi * Bern(p, v) + (1 - pi) * Bern(q, v))).ToArray();
            double sumMu = mu.Sum(), n = y.Count;
            double newPi = sumMu / n;
            double newP = sumMu > 0 ? y.Select((v, j) => mu[j] * v).Sum() / sumMu : p;
            double newQ = n - sumMu > 0 ? y.Select((v, j) => (1 - mu[j]) * v).Sum() / (n - sumMu) : q;
            double change = Math.Max(Math.Abs(newPi - pi), Math.Max(Math.Abs(newP - p), Math.Abs(newQ - q)));
            (pi, p, q) = (newPi, newP, newQ);
            history.Add(new CoinsIteration(it, pi, p, q, LogLikelihood(y, pi, p, q)));
            if (change <= tolerance) break;
        }
        return history;
    }
}

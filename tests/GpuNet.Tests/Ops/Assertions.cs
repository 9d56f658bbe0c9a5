namespace GpuNet.Tests.Ops;

public static class Close
{
    /// <summary>
    /// Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise; the message names the worst element.
    /// fp32 ops against a double reference: rtol 1e-4 with atol scaled to the data is the documented tolerance.
    /// </summary>
    public static void All(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double rtol = 1e-4,
        double atol = 1e-5, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1; double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]), allowed = atol + rtol * Math.Abs(expected[i]);
            if (double.IsNaN(actual[i]) || err > allowed)
            {
                double excess = double.IsNaN(actual[i]) ? double.PositiveInfinity : err - allowed;
                if (worst < 0 || excess > worstExcess) { worst = i; worstExcess = excess; }
            }
        }
        if (worst >= 0)
            Assert.Fail(
                $"{what}: element {worst} is {actual[worst]}, expected {expected[worst]} (rtol {rtol}, atol {atol})");
    }

    public static void All(ReadOnlySpan<double> expected, ReadOnlySpan<double> actual, double rtol, double atol,
        string what)
    {
        var f = new float[actual.Length];
        for (int i = 0; i < f.Length; i++) f[i] = (float)actual[i];
        All(expected, f, rtol, atol, what);
    }
}

public static class Rand
{
    public static float[] Floats(int n, int seed, float lo = -1f, float hi = 1f)
    {
        var r = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = lo + (hi - lo) * (float)r.NextDouble();
        return a;
    }

    /// <summary>
    /// Distinct values (a shuffled ramp plus jitter), so max pooling has no ties near which FD breaks.
    /// </summary>
    public static float[] Distinct(int n, int seed)
    {
        var r = new Random(seed);
        var a = Enumerable.Range(0, n).Select(i => (i - n / 2f) / n * 4f).ToArray();
        for (int i = n - 1; i > 0; i--) { int j = r.Next(i + 1); (a[i], a[j]) = (a[j], a[i]); }
        return a;
    }

    /// <summary>Values at least <paramref name="margin"/> away from 0, for ReLU-like kinks.</summary>
    public static float[] AwayFromZero(int n, int seed, float margin = 0.05f)
    {
        var a = Floats(n, seed);
        for (int i = 0; i < n; i++) if (MathF.Abs(a[i]) < margin) a[i] = a[i] < 0 ? -margin - 0.1f : margin + 0.1f;
        return a;
    }

    public static double[] D(float[] a) => a.Select(v => (double)v).ToArray();
}

namespace GpuNet.Tests.Reference;

/// <summary>
/// Plain, obviously-correct double-precision versions of every op: straight loops from the definitions, no blocking,
/// no SIMD, no cleverness. The accelerators are compared with these, and gradients with their finite differences.
/// </summary>
public static class Ref
{
    public static double[] Gemm(bool ta, bool tb, int m, int n, int k, double alpha, double[] a, double[] b,
        double beta, double[] c)
    {
        var r = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                r[i * n + j] = alpha * s + (beta == 0 ? 0 : beta * c[i * n + j]);
            }
        return r;
    }

    public static double[] Conv2d(double[] x, double[] w, double[]? bias, GpuNet.Runtime.Conv2dGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        var y = new double[g.N * g.K * oh * ow];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int grp = k / g.Kg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double s = bias?[k] ?? 0;
                        for (int c = 0; c < g.Cg; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int q = 0; q < g.S; q++)
                                {
                                    int ih = i * g.StrideH - g.PadH + r, iw = j * g.StrideW - g.PadW + q;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    s += x[((n * g.C + grp * g.Cg + c) * g.H + ih) * g.W
                                        + iw] * w[((k * g.Cg + c) * g.R + r) * g.S + q];
                                }
                        y[((n * g.K + k) * oh + i) * ow + j] = s;
                    }
            }
        return y;
    }

    /// <summary>
    /// The exact gradients of Σ dy · Conv2d(x, w, b): the same loops as <see cref="Conv2d"/>, each product's adjoint
    /// accumulated (the convolution is linear, so no finite differences are needed for shapes too big for them).
    /// </summary>
    public static (double[] Dx, double[] Dw, double[] Db) Conv2dBackward(double[] x, double[] w, double[] dy,
        GpuNet.Runtime.Conv2dGeometry g)
    {
        int oh = g.OutH, ow = g.OutW;
        double[] dx = new double[x.Length], dw = new double[w.Length], db = new double[g.K];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int grp = k / g.Kg;
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double d = dy[((n * g.K + k) * oh + i) * ow + j];
                        db[k] += d;
                        for (int c = 0; c < g.Cg; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int q = 0; q < g.S; q++)
                                {
                                    int ih = i * g.StrideH - g.PadH + r, iw = j * g.StrideW - g.PadW + q;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    int xi = ((n * g.C + grp * g.Cg + c) * g.H + ih) * g.W + iw;
                                    int wi = ((k * g.Cg + c) * g.R + r) * g.S + q;
                                    dx[xi] += d * w[wi];
                                    dw[wi] += d * x[xi];
                                }
                    }
            }
        return (dx, dw, db);
    }

    public static double[] Pool2d(double[] x, GpuNet.Runtime.Pool2dGeometry g, bool max)
    {
        var y = new double[g.N * g.C * g.OutH * g.OutW];
        for (int p = 0; p < g.N * g.C; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    int h0 = i * g.StrideH - g.PadH, w0 = j * g.StrideW - g.PadW;
                    int hEnd = Math.Min(h0 + g.KernelH, g.H + g.PadH), wEnd = Math.Min(w0 + g.KernelW, g.W + g.PadW);
                    int count = (hEnd - h0) * (wEnd - w0);
                    double best = double.NegativeInfinity, sum = 0;
                    for (int h = Math.Max(h0, 0); h < Math.Min(hEnd, g.H); h++)
                        for (int w = Math.Max(w0, 0); w < Math.Min(wEnd, g.W); w++)
                        {
                            double v = x[(p * g.H + h) * g.W + w];
                            best = Math.Max(best, v); sum += v;
                        }
                    y[(p * g.OutH + i) * g.OutW + j] = max ? best : sum / count;
                }
        return y;
    }

    public static double[] Map(double[] x, Func<double, double> f) => x.Select(f).ToArray();

    public static double Relu(double x) => Math.Max(x, 0);
    public static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>Per-sample −w[y] log softmax(z)[y], and the softmax.</summary>
    public static (double[] Loss, double[] Probs)
        SoftmaxCrossEntropy(double[] z, int[] labels, int c, double[]? weights = null)
    {
        int n = labels.Length;
        var loss = new double[n]; var probs = new double[n * c];
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.Exp(z[i * c + j]);
            for (int j = 0; j < c; j++) probs[i * c + j] = Math.Exp(z[i * c + j]) / sum;
            loss[i] = -Math.Log(probs[i * c + labels[i]]) * (weights?[labels[i]] ?? 1);
        }
        return (loss, probs);
    }

    public static double[] Hinge(double[] s, int[] labels, int c)
    {
        var loss = new double[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            for (int j = 0; j < c; j++)
                if (j != labels[i]) loss[i] += Math.Max(0, 1 + s[i * c + j] - s[i * c + labels[i]]);
        return loss;
    }

    public static double[] RowMean(double[] a, double[] t, int n, Func<double, double, double> f)
    {
        int d = a.Length / n;
        var loss = new double[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++) loss[i] += f(a[i * d + j], t[i * d + j]);
            loss[i] /= d;
        }
        return loss;
    }

    public static double Bce(double z, double t) => -(t * Math.Log(Sigmoid(z)) + (1 - t) * Math.Log(1 - Sigmoid(z)));

    public static double[] Lrn(double[] x, int n, int c, int hw, GpuNet.Runtime.LrnParameters p)
    {
        var y = new double[x.Length];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < c; ch++)
                for (int k = 0; k < hw; k++)
                {
                    double sq = 0;
                    int g0 = ch / (c / p.Groups) * (c / p.Groups), g1 = g0 + c / p.Groups - 1;   // the channel's group
                    for (int cc = Math.Max(g0, ch - p.Size / 2); cc <= Math.Min(g1, ch + p.Size / 2); cc++)
                    { double v = x[(i * c + cc) * hw + k]; sq += v * v; }
                    double scale = p.K + p.Alpha / p.Size * sq;
                    y[(i * c + ch) * hw + k] = x[(i * c + ch) * hw + k] * Math.Pow(scale, -p.Beta);
                }
        return y;
    }

    public static double[] BatchNorm(double[] x, double[] gamma, double[] beta, int n, int c, int inner, double eps)
    {
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            double mean = 0, var_ = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++) mean += x[(i * c + ch) * inner + k];
            mean /= n * inner;
            for (int i = 0; i < n; i++)
                for (int k = 0; k < inner; k++) { double d = x[(i * c + ch) * inner + k] - mean; var_ += d * d; }
            var_ /= n * inner;
            for (int i = 0; i < n; i++) for (int k = 0; k < inner; k++)
                y[(i * c + ch) * inner + k] = gamma[ch] * (x[(i * c + ch) * inner + k] - mean) / Math.Sqrt(var_ + eps)
                    + beta[ch];
        }
        return y;
    }

    /// <summary>Central-difference gradient of Σ_i r_i · f(x)_i with respect to x.</summary>
    public static double[] NumericGradient(double[] x, double[] r, Func<double[], double[]> f, double h = 1e-5)
    {
        var g = new double[x.Length];
        var xp = (double[])x.Clone();
        for (int i = 0; i < x.Length; i++)
        {
            double old = xp[i];
            xp[i] = old + h; double up = Dot(f(xp), r);
            xp[i] = old - h; double down = Dot(f(xp), r);
            xp[i] = old;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    public static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i]; return s;
    }
}

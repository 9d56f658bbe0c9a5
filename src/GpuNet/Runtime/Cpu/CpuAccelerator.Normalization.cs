using System.Runtime.CompilerServices;

namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    // LRN across channels, 8 pixels of a channel plane at a time (Vector256), the rest one by one through the same
    // arithmetic: a running sum of squares over the channel window, clipped to the group. s^−β for AlexNet's β = 0.75
    // is 1 / (√s · √√s), two correctly rounded square roots instead of a pow call per element.
    protected override void LrnForwardInternal(Tensor x, Tensor y, Tensor scale, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], cg = c / p.Groups;
        float* px = P(x), py = P(y), ps = P(scale);
        For(n, 1, (n0, n1) =>
        {
            for (int i = n0; i < n1; i++)
                for (int g0 = 0; g0 < c; g0 += cg)
                {
                    long b = ((long)i * c + g0) * hw;
                    int k = 0;
                    for (; k + 8 <= hw; k += 8) LrnForwardPixels<Vec8>(px, py, ps, b + k, hw, cg, p);
                    for (; k < hw; k++) LrnForwardPixels<Scalar>(px, py, ps, b + k, hw, cg, p);
                }
        });
    }

    protected override void LrnBackwardInternal(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], cg = c / p.Groups;
        float* px = P(x), py = P(y), ps = P(scale), pdy = P(dy), pdx = P(dx);
        For(n, 1, (n0, n1) =>
        {
            for (int i = n0; i < n1; i++)
                for (int g0 = 0; g0 < c; g0 += cg)
                {
                    long b = ((long)i * c + g0) * hw;
                    int k = 0;
                    for (; k + 8 <= hw; k += 8)
                        LrnBackwardPixels<Vec8>(px, py, ps, pdy, pdx, b + k, hw, cg, p);
                    for (; k < hw; k++) LrnBackwardPixels<Scalar>(px, py, ps, pdy, pdx, b + k, hw, cg, p);
                }
        });
    }

    // One group's channels at the pixels starting at b (a vector's width of them, or one). Optimised at once: at tier 0
    // the T operations would be calls.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LrnForwardPixels<T>(float* px, float* py, float* ps, long b, int hw, int cg, LrnParameters p)
        where T : ISimdFloat<T>
    {
        int half = p.Size / 2;
        T k = T.Splat(p.K), a = T.Splat(p.Alpha / p.Size), zero = T.Splat(0f);
        // running sum of squares over the channel window [ch − half, ch + half], clipped to the group
        T sq = zero;
        for (int ch = 0; ch < Math.Min(half, cg); ch++) { var v = T.Load(px + b + (long)ch * hw); sq += v * v; }
        for (int ch = 0; ch < cg; ch++)
        {
            int add = ch + half, sub = ch - half - 1;
            if (add < cg) { var v = T.Load(px + b + (long)add * hw); sq += v * v; }
            if (sub >= 0) { var v = T.Load(px + b + (long)sub * hw); sq -= v * v; }
            long at = b + (long)ch * hw;
            var s = k + a * T.Max(sq, zero);
            s.Store(ps + at);
            (T.Load(px + at) * PowNegativeBeta(s, p.Beta)).Store(py + at);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LrnBackwardPixels<T>(float* px, float* py, float* ps, float* pdy, float* pdx, long b, int hw,
        int cg, LrnParameters p) where T : ISimdFloat<T>
    {
        int half = p.Size / 2;
        T factor = T.Splat(2f * p.Alpha * p.Beta / p.Size), acc = T.Splat(0f);
        // ratio_j = dy_j · y_j / scale_j, summed over the window of channels (in the group) whose sum includes ch
        for (int ch = 0; ch < Math.Min(half, cg); ch++) acc += Ratio<T>(pdy, py, ps, b + (long)ch * hw);
        for (int ch = 0; ch < cg; ch++)
        {
            int add = ch + half, sub = ch - half - 1;
            if (add < cg) acc += Ratio<T>(pdy, py, ps, b + (long)add * hw);
            if (sub >= 0) acc -= Ratio<T>(pdy, py, ps, b + (long)sub * hw);
            long at = b + (long)ch * hw;
            (T.Load(pdy + at) * PowNegativeBeta(T.Load(ps + at), p.Beta) - factor * T.Load(px + at) * acc)
                .Store(pdx + at);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T Ratio<T>(float* pdy, float* py, float* ps, long o) where T : ISimdFloat<T> =>
        T.Load(pdy + o) * T.Load(py + o) / T.Load(ps + o);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T PowNegativeBeta<T>(T s, float beta) where T : ISimdFloat<T>
    {
        if (beta == 0.75f)
        {
            var r = T.Sqrt(s);
            return T.Splat(1f) / (r * T.Sqrt(r));
        }
        return T.Pow(s, -beta);
    }

    protected override void BatchNormForwardTrainingInternal(Tensor x, Tensor gamma, Tensor beta, Tensor y,
        Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, float momentum, float epsilon, int n, int c, int inner)
    {
        float* px = P(x), py = P(y), pg = P(gamma), pb = P(beta), prm = P(runningMean), prv = P(runningVar),
            psm = P(saveMean), psi = P(saveInvStd);
        long m = (long)n * inner;
        For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                double sum = 0, sumSq = 0;
                for (int i = 0; i < n; i++)
                {
                    float* row = px + ((long)i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) { sum += row[k]; sumSq += (double)row[k] * row[k]; }
                }
                double mean = sum / m, variance = Math.Max(sumSq / m - mean * mean, 0);
                float inv = (float)(1.0 / Math.Sqrt(variance + epsilon));
                psm[ch] = (float)mean; psi[ch] = inv;
                prm[ch] = (1 - momentum) * prm[ch] + momentum * (float)mean;
                prv[ch] = (1 - momentum) * prv[ch] + momentum * (float)(m > 1 ? variance * m / (m - 1) : variance);
                float sc = pg[ch] * inv, sh = pb[ch] - (float)mean * sc;
                for (int i = 0; i < n; i++)
                {
                    float* xr = px + ((long)i * c + ch) * inner, yr = py + ((long)i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) yr[k] = xr[k] * sc + sh;
                }
            }
        });
    }

    protected override void BatchNormForwardInferenceInternal(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean,
        Tensor runningVar, Tensor y, float epsilon, int n, int c, int inner)
    {
        float* px = P(x), py = P(y), pg = P(gamma), pb = P(beta), prm = P(runningMean), prv = P(runningVar);
        For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                float sc = pg[ch] / MathF.Sqrt(prv[ch] + epsilon), sh = pb[ch] - prm[ch] * sc;
                for (int i = 0; i < n; i++)
                {
                    float* xr = px + ((long)i * c + ch) * inner, yr = py + ((long)i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) yr[k] = xr[k] * sc + sh;
                }
            }
        });
    }

    protected override void BatchNormBackwardInternal(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean,
        Tensor saveInvStd, Tensor dx, Tensor dgamma, Tensor dbeta, int n, int c, int inner)
    {
        float* px = P(x), pdy = P(dy), pdx = P(dx), pg = P(gamma), psm = P(saveMean), psi = P(saveInvStd),
            pdg = P(dgamma), pdb = P(dbeta);
        long m = (long)n * inner;
        For(c, 1, (c0, c1) =>
        {
            for (int ch = c0; ch < c1; ch++)
            {
                float mean = psm[ch], inv = psi[ch];
                double sumDy = 0, sumDyXhat = 0;
                for (int i = 0; i < n; i++)
                {
                    float* xr = px + ((long)i * c + ch) * inner, dr = pdy + ((long)i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) { sumDy += dr[k]; sumDyXhat += dr[k] * (xr[k] - mean) * inv; }
                }
                pdg[ch] = (float)sumDyXhat; pdb[ch] = (float)sumDy;
                // dx = γ·inv/m · (m·dy − Σdy − x̂·Σ(dy·x̂))
                float k1 = pg[ch] * inv / m, mdy = (float)sumDy, mdx = (float)sumDyXhat;
                for (int i = 0; i < n; i++)
                {
                    float* xr = px + ((long)i * c + ch) * inner, dr = pdy + ((long)i * c + ch) * inner,
                        out_ = pdx + ((long)i * c + ch) * inner;
                    for (int k = 0; k < inner; k++) out_[k] = k1 * (m * dr[k] - mdy - (xr[k] - mean) * inv * mdx);
                }
            }
        });
    }
}

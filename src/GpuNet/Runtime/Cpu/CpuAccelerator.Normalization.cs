namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    protected override void LrnForwardInternal(Tensor x, Tensor y, Tensor scale, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], half = p.Size / 2;
        float* px = P(x), py = P(y), ps = P(scale);
        float a = p.Alpha / p.Size;
        int cg = c / p.Groups;
        For(n, 1, (n0, n1) =>
        {
            for (int i = n0; i < n1; i++)
                for (int k = 0; k < hw; k++)
                {
                    for (int g0 = 0; g0 < c; g0 += cg)
                    {
                        long b = (long)i * c * hw + k + (long)g0 * hw;
                        // running sum of squares over the channel window [ch − half, ch + half], clipped to the group
                        float sq = 0f;
                        for (int ch = 0; ch < Math.Min(half, cg); ch++)
                        {
                            float v = px[b + (long)ch * hw]; sq += v * v;
                        }
                        for (int ch = 0; ch < cg; ch++)
                        {
                            int add = ch + half, sub = ch - half - 1;
                            if (add < cg) { float v = px[b + (long)add * hw]; sq += v * v; }
                            if (sub >= 0) { float v = px[b + (long)sub * hw]; sq -= v * v; }
                            float s = p.K + a * MathF.Max(sq, 0f);
                            ps[b + (long)ch * hw] = s;
                            py[b + (long)ch * hw] = px[b + (long)ch * hw] * MathF.Pow(s, -p.Beta);
                        }
                    }
                }
        });
    }

    protected override void LrnBackwardInternal(Tensor x, Tensor y, Tensor scale, Tensor dy, Tensor dx, LrnParameters p)
    {
        int n = x.Shape[0], c = x.Shape[1], hw = x.Shape[2] * x.Shape[3], half = p.Size / 2;
        float* px = P(x), py = P(y), ps = P(scale), pdy = P(dy), pdx = P(dx);
        float factor = 2f * p.Alpha * p.Beta / p.Size;
        int cg = c / p.Groups;
        For(n, 1, (n0, n1) =>
        {
            for (int i = n0; i < n1; i++)
                for (int k = 0; k < hw; k++)
                {
                    for (int g0 = 0; g0 < c; g0 += cg)
                    {
                        long b = (long)i * c * hw + k + (long)g0 * hw;
                        // ratio_j = dy_j · y_j / scale_j, summed over the window of channels (in the group) whose sum
                        // includes ch
                        float acc = 0f;
                        for (int ch = 0; ch < Math.Min(half, cg); ch++)
                        {
                            long o = b + (long)ch * hw;
                            acc += pdy[o] * py[o] / ps[o];
                        }
                        for (int ch = 0; ch < cg; ch++)
                        {
                            int add = ch + half, sub = ch - half - 1;
                            if (add < cg) { long o = b + (long)add * hw; acc += pdy[o] * py[o] / ps[o]; }
                            if (sub >= 0) { long o = b + (long)sub * hw; acc -= pdy[o] * py[o] / ps[o]; }
                            long at = b + (long)ch * hw;
                            pdx[at] = pdy[at] * MathF.Pow(ps[at], -p.Beta) - factor * px[at] * acc;
                        }
                    }
                }
        });
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

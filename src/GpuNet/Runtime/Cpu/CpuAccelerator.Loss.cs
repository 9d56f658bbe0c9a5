namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    private static int Label(float* labels, int i, int c)
    {
        float v = labels[i];
        int y = (int)v;
        if (y != v || (uint)y >= (uint)c)
            throw new ArgumentException($"label {v} of sample {i} is not a class index in [0, {c})");
        return y;
    }

    protected override void AccumulateLossAndCorrectInternal(Tensor scores, Tensor labels, Tensor loss, Tensor stats,
        float lossScale, int n, int c)
    {
        float* ps = P(scores), pl = P(labels), ploss = P(loss), pstats = P(stats);
        double sum = 0;
        int correct = 0;
        for (int i = 0; i < n; i++)
        {
            float* row = ps + (long)i * c;
            int best = 0;
            for (int j = 1; j < c; j++) if (row[j] > row[best]) best = j;
            if (best == (int)pl[i]) correct++;
            sum += ploss[i];
        }
        pstats[0] += lossScale * (float)sum;
        pstats[1] += correct;
    }

    protected override void SoftmaxCrossEntropyForwardInternal(Tensor logits, Tensor labels, Tensor? classWeights,
        Tensor probs, Tensor loss, int n, int c)
    {
        float* pz = P(logits), pl = P(labels), pp = P(probs), ploss = P(loss),
            pw = classWeights is null ? null : P(classWeights);
        For(n, 64, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                float* z = pz + (long)i * c, p = pp + (long)i * c;
                int y = Label(pl, i, c);
                float max = z[0];
                for (int j = 1; j < c; j++) max = MathF.Max(max, z[j]);
                double sum = 0;
                for (int j = 0; j < c; j++) { float e = MathF.Exp(z[j] - max); p[j] = e; sum += e; }
                float inv = (float)(1.0 / sum);
                for (int j = 0; j < c; j++) p[j] *= inv;
                // −log softmax_y = log Σ e^(z−max) − (z_y − max): exact even when p_y underflows.
                float l = (float)(Math.Log(sum) - (z[y] - max));
                ploss[i] = pw is null ? l : pw[y] * l;
            }
        });
    }

    protected override void SoftmaxCrossEntropyBackwardInternal(Tensor probs, Tensor labels, Tensor? classWeights,
        Tensor dlogits, float scale, int n, int c)
    {
        float* pp = P(probs), pl = P(labels), pd = P(dlogits), pw = classWeights is null ? null : P(classWeights);
        For(n, 64, (i0, i1) =>
        {
            for (int i = i0; i < i1; i++)
            {
                int y = Label(pl, i, c);
                float s = pw is null ? scale : scale * pw[y];
                float* p = pp + (long)i * c, d = pd + (long)i * c;
                for (int j = 0; j < c; j++) d[j] = s * (p[j] - (j == y ? 1f : 0f));
            }
        });
    }

    protected override void HingeForwardInternal(Tensor scores, Tensor labels, Tensor loss, int n, int c)
    {
        float* ps = P(scores), pl = P(labels), ploss = P(loss);
        for (int i = 0; i < n; i++)
        {
            float* s = ps + (long)i * c;
            int y = Label(pl, i, c);
            float l = 0f;
            for (int j = 0; j < c; j++) if (j != y) l += MathF.Max(0f, 1f + s[j] - s[y]);
            ploss[i] = l;
        }
    }

    protected override void HingeBackwardInternal(Tensor scores, Tensor labels, Tensor dscores, float scale, int n,
        int c)
    {
        float* ps = P(scores), pl = P(labels), pd = P(dscores);
        for (int i = 0; i < n; i++)
        {
            float* s = ps + (long)i * c, d = pd + (long)i * c;
            int y = Label(pl, i, c), active = 0;
            for (int j = 0; j < c; j++)
            {
                bool on = j != y && 1f + s[j] - s[y] > 0f;
                d[j] = on ? scale : 0f;
                if (on) active++;
            }
            d[y] = -scale * active;
        }
    }

    protected override void MseForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) =>
        RowLoss(pred, target, loss, n, d, static (p, t) => (p - t) * (p - t));

    protected override void MseBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) =>
        RowGrad(pred, target, dpred, 2f * scale / d, static (p, t) => p - t);

    protected override void MaeForwardInternal(Tensor pred, Tensor target, Tensor loss, int n, int d) =>
        RowLoss(pred, target, loss, n, d, static (p, t) => MathF.Abs(p - t));

    protected override void MaeBackwardInternal(Tensor pred, Tensor target, Tensor dpred, float scale, int n, int d) =>
        RowGrad(pred, target, dpred, scale / d, static (p, t) => p > t ? 1f : p < t ? -1f : 0f);

    protected override void BinaryCrossEntropyForwardInternal(Tensor logits, Tensor target, Tensor loss, int n,
        int d) =>
        RowLoss(logits, target, loss, n, d,
            static (z, t) => MathF.Max(z, 0f) - z * t + MathF.Log(1f + MathF.Exp(-MathF.Abs(z))));

    protected override void BinaryCrossEntropyBackwardInternal(Tensor logits, Tensor target, Tensor dlogits,
        float scale, int n, int d) =>
        RowGrad(logits, target, dlogits, scale / d, static (z, t) => 1f / (1f + MathF.Exp(-z)) - t);

    // loss[i] = mean_j f(a[i, j], b[i, j])
    private static void RowLoss(Tensor a, Tensor b, Tensor loss, int n, int d, Func<float, float, float> f)
    {
        float* pa = P(a), pb = P(b), pl = P(loss);
        for (int i = 0; i < n; i++)
        {
            double sum = 0;
            for (int j = 0; j < d; j++) sum += f(pa[(long)i * d + j], pb[(long)i * d + j]);
            pl[i] = (float)(sum / d);
        }
    }

    // out[k] = factor · f(a[k], b[k])
    private static void RowGrad(Tensor a, Tensor b, Tensor output, float factor, Func<float, float, float> f)
    {
        float* pa = P(a), pb = P(b), po = P(output);
        for (int k = 0; k < a.Length; k++) po[k] = factor * f(pa[k], pb[k]);
    }
}

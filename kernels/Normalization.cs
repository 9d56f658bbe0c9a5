using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace GpuNet.Kernels;

/// <summary>Local response normalisation across channels, and batch normalisation.</summary>
public static class NormalizationKernels
{
    /// <summary>
    /// scale = k + α/size · Σ_{window} x², y = x · scale^−β. One thread per (n, group, position): a running sum of
    /// squares slides over the channel window, which never leaves the group's channels. x, y, scale: (N, C, H, W).
    /// </summary>
    public static void LrnForward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale, LrnShape p)
    {
        int cg = p.C / p.Groups, radius = p.Size / 2, items = p.N * p.Groups * p.HW;
        float a = p.Alpha / p.Size;
        for (int e = Threads.Start, step = Threads.Step; e < items; e += step)
        {
            int baseAt = LrnBase(e, p, cg);
            float sq = 0f;
            for (int c = 0; c < XMath.Min(radius, cg); c++) { float v = x[baseAt + c * p.HW]; sq += v * v; }
            for (int c = 0; c < cg; c++)
            {
                int add = c + radius, sub = c - radius - 1;
                if (add < cg) { float v = x[baseAt + add * p.HW]; sq += v * v; }
                if (sub >= 0) { float v = x[baseAt + sub * p.HW]; sq -= v * v; }
                float s = p.K + a * XMath.Max(sq, 0f);
                int at = baseAt + c * p.HW;
                scale[at] = s;
                y[at] = x[at] * XMath.Exp2(-p.Beta * XMath.Log2(s));   // s ≥ k > 0
            }
        }
    }

    /// <summary>dx = dy · scale^−β − (2αβ/size) · x · Σ_{window} dy · y / scale.</summary>
    public static void LrnBackward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> scale,
        ArrayView<float> dy, ArrayView<float> dx, LrnShape p)
    {
        int cg = p.C / p.Groups, radius = p.Size / 2, items = p.N * p.Groups * p.HW;
        float factor = 2f * p.Alpha * p.Beta / p.Size;
        for (int e = Threads.Start, step = Threads.Step; e < items; e += step)
        {
            int baseAt = LrnBase(e, p, cg);
            float acc = 0f;
            for (int c = 0; c < XMath.Min(radius, cg); c++)
            {
                int o = baseAt + c * p.HW;
                acc += dy[o] * y[o] / scale[o];
            }
            for (int c = 0; c < cg; c++)
            {
                int add = c + radius, sub = c - radius - 1;
                if (add < cg) { int o = baseAt + add * p.HW; acc += dy[o] * y[o] / scale[o]; }
                if (sub >= 0) { int o = baseAt + sub * p.HW; acc -= dy[o] * y[o] / scale[o]; }
                int at = baseAt + c * p.HW;
                dx[at] = dy[at] * XMath.Exp2(-p.Beta * XMath.Log2(scale[at])) - factor * x[at] * acc;
            }
        }
    }

    // first element of work item e's channel run: (n, group, position) → n·C + group·Cg channels in, then position
    private static int LrnBase(int e, LrnShape p, int cg)
    {
        int n = e / (p.Groups * p.HW), grp = (e / p.HW) % p.Groups, pos = e % p.HW;
        return (n * p.C + grp * cg) * p.HW + pos;
    }

    /// <summary>
    /// Batch norm, training: one group per channel (groups stride over channels). Two passes (mean, then Σ(x − mean)²)
    /// for accuracy; saves mean and 1/sqrt(var + eps), updates the running values (unbiased variance).
    /// </summary>
    public static void BatchNormForwardTraining(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> y, ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> saveMean,
        ArrayView<float> saveInvStd, BatchNormShape p)
    {
        int lid = Group.IdxX, local = Group.DimX, groups = Grid.DimX, m = p.N * p.Inner;
        for (int ch = Grid.IdxX; ch < p.C; ch += groups)
        {
            float sum = 0f;
            for (int e = lid; e < m; e += local) sum += x[p.At(e, ch)];
            float mean = GroupExtensions.AllReduce<float, AddFloat>(sum) / m;
            float sq = 0f;
            for (int e = lid; e < m; e += local) { float d = x[p.At(e, ch)] - mean; sq += d * d; }
            float variance = GroupExtensions.AllReduce<float, AddFloat>(sq) / m;
            float inv = 1f / XMath.Sqrt(variance + p.Epsilon);
            if (lid == 0)
            {
                saveMean[ch] = mean;
                saveInvStd[ch] = inv;
                runningMean[ch] = (1f - p.Momentum) * runningMean[ch] + p.Momentum * mean;
                float unbiased = m > 1 ? variance * m / (m - 1) : variance;
                runningVar[ch] = (1f - p.Momentum) * runningVar[ch] + p.Momentum * unbiased;
            }
            float sc = gamma[ch] * inv, sh = beta[ch] - mean * sc;
            for (int e = lid; e < m; e += local) { int at = p.At(e, ch); y[at] = x[at] * sc + sh; }
        }
    }

    /// <summary>y = gamma · (x − runningMean) / sqrt(runningVar + eps) + beta; grid-stride over elements.</summary>
    public static void BatchNormForwardInference(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta,
        ArrayView<float> runningMean, ArrayView<float> runningVar, ArrayView<float> y, BatchNormShape p)
    {
        int n = x.IntLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int ch = (e / p.Inner) % p.C;
            float sc = gamma[ch] / XMath.Sqrt(runningVar[ch] + p.Epsilon);
            y[e] = (x[e] - runningMean[ch]) * sc + beta[ch];
        }
    }

    /// <summary>
    /// dgamma = Σ dy·x̂, dbeta = Σ dy, dx = γ·inv/m · (m·dy − Σdy − x̂·Σ(dy·x̂)); one group per channel.
    /// </summary>
    public static void BatchNormBackward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> gamma,
        ArrayView<float> saveMean, ArrayView<float> saveInvStd, ArrayView<float> dx, ArrayView<float> dgamma,
        ArrayView<float> dbeta, BatchNormShape p)
    {
        int lid = Group.IdxX, local = Group.DimX, groups = Grid.DimX, m = p.N * p.Inner;
        for (int ch = Grid.IdxX; ch < p.C; ch += groups)
        {
            float mean = saveMean[ch], inv = saveInvStd[ch];
            float sdy = 0f, sdyx = 0f;
            for (int e = lid; e < m; e += local)
            {
                int at = p.At(e, ch);
                float d = dy[at];
                sdy += d;
                sdyx += d * (x[at] - mean) * inv;
            }
            sdy = GroupExtensions.AllReduce<float, AddFloat>(sdy);
            sdyx = GroupExtensions.AllReduce<float, AddFloat>(sdyx);
            if (lid == 0) { dgamma[ch] = sdyx; dbeta[ch] = sdy; }
            float k1 = gamma[ch] * inv / m;
            for (int e = lid; e < m; e += local)
            {
                int at = p.At(e, ch);
                dx[at] = k1 * (m * dy[at] - sdy - (x[at] - mean) * inv * sdyx);
            }
        }
    }
}

/// <summary>LRN over x: (N, C, H·W = HW) with the window's size, α, β, k and channel groups.</summary>
public struct LrnShape
{
    public int N, C, HW, Size, Groups;
    public float Alpha, Beta, K;
}

/// <summary>Batch norm over x: (N, C, Inner) with its running-average momentum and epsilon.</summary>
public struct BatchNormShape
{
    public int N, C, Inner;
    public float Momentum, Epsilon;

    /// <summary>Element e of channel ch's N·Inner values.</summary>
    public readonly int At(int e, int ch)
    {
        int img = e / Inner;
        return (img * C + ch) * Inner + e - img * Inner;
    }
}

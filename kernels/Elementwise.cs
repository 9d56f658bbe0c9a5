using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

namespace GpuNet.Kernels;

/// <summary>Element-wise arithmetic, bias and dropout; grid-stride over elements unless said otherwise.</summary>
public static class ElementwiseKernels
{
    /// <summary>y += alpha · x.</summary>
    public static void Axpy(float alpha, ArrayView<float> x, ArrayView<float> y)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) y[i] += alpha * x[i];
    }

    /// <summary>t *= alpha.</summary>
    public static void Scale(ArrayView<float> t, float alpha)
    {
        int n = t.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) t[i] *= alpha;
    }

    /// <summary>y: (N, C, inner) += bias[c].</summary>
    public static void BiasAddForward(ArrayView<float> y, ArrayView<float> bias, int c, int inner)
    {
        int n = y.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) y[i] += bias[(i / inner) % c];
    }

    /// <summary>dbias[c] = Σ_{n, i} dy[n, c, i]; one group per channel (groups stride over channels).</summary>
    public static void BiasAddBackward(ArrayView<float> dy, ArrayView<float> dbias, int n, int c, int inner)
    {
        int lid = Group.IdxX, local = Group.DimX, groups = Grid.DimX, m = n * inner;
        for (int ch = Grid.IdxX; ch < c; ch += groups)
        {
            float sum = 0f;
            for (int e = lid; e < m; e += local)
            {
                int img = e / inner;
                sum += dy[(img * c + ch) * inner + e - img * inner];
            }
            sum = GroupExtensions.AllReduce<float, AddFloat>(sum);
            if (lid == 0) dbias[ch] = sum;
        }
    }

    /// <summary>
    /// Inverted dropout: mask = (u ≥ p) / (1 − p), y = x · mask. Element i is row i / RowLength, column i % RowLength
    /// and draws hash index (FirstRow + row)·GlobalRowLength + RowOffset + column, so a tower's slice of a wider
    /// activation, or a data-parallel rank's rows of a larger batch, gets exactly the mask bits of the undivided
    /// tensor.
    /// </summary>
    public static void DropoutForward(ArrayView<float> x, ArrayView<float> y, ArrayView<float> mask, DropoutDraw d)
    {
        int n = x.IntLength;
        float keep = 1f / (1f - d.P);
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            int row = i / d.RowLength;
            uint index = (uint)((d.FirstRow + row) * d.GlobalRowLength + d.RowOffset + i - row * d.RowLength);
            float m = Rules.DropoutUniform(d.Seed, index) >= d.P ? keep : 0f;
            mask[i] = m;
            y[i] = x[i] * m;
        }
    }

    /// <summary>dx = dy · mask.</summary>
    public static void DropoutBackward(ArrayView<float> dy, ArrayView<float> mask, ArrayView<float> dx)
    {
        int n = dy.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) dx[i] = dy[i] * mask[i];
    }
}

/// <summary>
/// A dropout call's probability, seed and hash indexing (see <see cref="ElementwiseKernels.DropoutForward"/>).
/// </summary>
public struct DropoutDraw
{
    public float P;
    public uint Seed;
    public int RowLength, RowOffset, GlobalRowLength, FirstRow;
}

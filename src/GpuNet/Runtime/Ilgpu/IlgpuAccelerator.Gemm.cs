using GpuNet.Kernels;
using ILGPU;
using ILGPU.Runtime;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

public sealed partial class IlgpuAccelerator
{
    protected override void GemmInternal(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
    {
        if (k == 0) { ScaleBlock(c, cOffset, m, n, ldc, beta); return; }
        var tiling = GemmTiling;
        var s = new GemmShape
        {
            M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transA ? 1 : 0, TransB = transB ? 1 : 0,
            KTile = tiling.KTile, Alpha = alpha, Beta = beta,
        };
        var va = Matrix(a, aOffset, transA ? k : m, transA ? m : k, lda);
        var vb = Matrix(b, bOffset, transB ? n : k, transB ? k : n, ldb);
        var vc = Matrix(c, cOffset, m, n, ldc);
        if ((long)m * n * k < tiling.DirectBelow)
        {
            K<F, F, F, GemmShape>(GemmKernels.GemmDirect)(Stride(m * n), va, vb, vc, s);
            return;
        }
        if (tiling.ThreadsX * tiling.ThreadsY > _device.MaxNumThreadsPerGroup || tiling.KTile < 1)
            throw new ArgumentException(
                $"GEMM tiling {tiling} on {Name}: a group of {tiling.ThreadsX}x{tiling.ThreadsY} " +
                $"threads exceeds the {_device.MaxNumThreadsPerGroup} this device allows (or KTile < 1)");
        var config = new KernelConfig(
            new Index2D((m + tiling.TileM - 1) / tiling.TileM, (n + tiling.TileN - 1) / tiling.TileN),
            new Index2D(tiling.ThreadsX, tiling.ThreadsY),
            SharedMemoryConfig.RequestDynamic<float>(tiling.SharedFloats));
        K<F, F, F, GemmShape>(GemmKernels.Gemm)(config, va, vb, vc, s);
    }

    // rows × cols at offset with leading dimension ld, as the smallest view that holds it
    private static ArrayView<float> Matrix(Tensor t, int offset, int rows, int cols, int ld) =>
        V(t, offset, rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols);

    // C (m, n) with leading dimension ldc *= beta (GEMM with k = 0)
    private void ScaleBlock(Tensor c, int cOffset, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(cOffset + i * ldc, n);
            if (beta == 0f) FillInternal(row, 0f); else ScaleInternal(row, beta);
        }
    }
}

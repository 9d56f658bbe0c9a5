namespace GpuNet.Runtime;

public abstract partial class KernelAccelerator
{
    protected override void GemmInternal(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
    {
        if (k == 0) { ScaleBlock(c, cOffset, m, n, ldc, beta); return; }
        var p = GemmTuning;
        if ((long)m * n * k < p.DirectBelow)
        {
            Kernel("gemm.cl", "gemm_direct").Int(m).Int(n).Int(k).Float(alpha).Buf(a, aOffset).Int(lda).Buf(b, bOffset).Int(ldb)
                .Float(beta).Buf(c, cOffset).Int(ldc).Int(transA ? 1 : 0).Int(transB ? 1 : 0)
                .Launch2D((n + 15) / 16, (m + 3) / 4, 16, 4);
            return;
        }
        p.Validate();
        Kernel("gemm.cl", "gemm", p.Defines(transA, transB)).Int(m).Int(n).Int(k).Float(alpha).Buf(a, aOffset).Int(lda)
            .Buf(b, bOffset).Int(ldb).Float(beta).Buf(c, cOffset).Int(ldc)
            .Launch2D((m + p.Mwg - 1) / p.Mwg, (n + p.Nwg - 1) / p.Nwg, p.Ndimc, p.Mdimc);
    }

    // C (m, n) with leading dimension ldc *= beta (GEMM with k = 0).
    private void ScaleBlock(Tensor c, int cOffset, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(cOffset + i * ldc, n);
            if (beta == 0f) FillInternal(row, 0f); else ScaleInternal(row, beta);
        }
    }
}

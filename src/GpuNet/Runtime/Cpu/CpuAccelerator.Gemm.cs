namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    protected override void GemmInternal(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
        => CpuSgemm.Sgemm(transA, transB, m, n, k, alpha, P(a) + aOffset, lda, P(b) + bOffset, ldb, beta,
            P(c) + cOffset, ldc, this, WideGemm);
}

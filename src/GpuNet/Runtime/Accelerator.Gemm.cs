namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C, row-major, where op(A) is (M, K) and op(B) is (K, N).
    /// A, B, C are addressed from element offsets inside the tensors with leading dimensions lda, ldb, ldc
    /// (so one call can work on one group of a grouped convolution). beta = 0 ignores C's old contents.
    /// </summary>
    public void Gemm(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc)
    {
        Check(a, nameof(a)); Check(b, nameof(b)); Check(c, nameof(c));
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must be non-negative: M={m} N={n} K={k}");
        CheckMatrix(a, "A", aOffset, transA ? k : m, transA ? m : k, lda);
        CheckMatrix(b, "B", bOffset, transB ? n : k, transB ? k : n, ldb);
        CheckMatrix(c, "C", cOffset, m, n, ldc);
        if (m == 0 || n == 0) return;
        GemmInternal(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
    }

    /// <summary>C = alpha · op(A) · op(B) + beta · C for whole 2-D tensors.</summary>
    public void Gemm(bool transA, bool transB, float alpha, Tensor a, Tensor b, float beta, Tensor c)
    {
        if (a.Rank != 2 || b.Rank != 2 || c.Rank != 2)
            throw new ArgumentException(
                $"GEMM needs 2-D tensors, got A {Shapes.Format(a.Shape)}, B {Shapes.Format(b.Shape)}, C " +
                $"{Shapes.Format(c.Shape)}");
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
        int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
        if (k != kb || c.Shape[0] != m || c.Shape[1] != n)
            throw new ArgumentException(
                $"GEMM shapes do not chain: op(A) is ({m}, {k}), op(B) is ({kb}, {n}), C is {Shapes.Format(c.Shape)}");
        Gemm(transA, transB, m, n, k, alpha, a, 0, a.Shape[1], b, 0, b.Shape[1], beta, c, 0, c.Shape[1]);
    }

    private static void CheckMatrix(Tensor t, string name, int offset, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"GEMM {name}: leading dimension {ld} is smaller than its {cols} columns");
        long last = rows == 0 || cols == 0 ? offset : offset + (long)(rows - 1) * ld + cols;
        if (offset < 0 || last > t.Length)
            throw new ArgumentException(
                $"GEMM {name}: a ({rows}, {cols}) matrix at offset {offset} with ld {ld} runs past the tensor's " +
                $"{t.Length} elements");
    }

    protected abstract void GemmInternal(bool transA, bool transB, int m, int n, int k, float alpha,
        Tensor a, int aOffset, int lda, Tensor b, int bOffset, int ldb, float beta, Tensor c, int cOffset, int ldc);
}

using ILGPU;

namespace GpuNet.Kernels;

/// <summary>
/// C = alpha · op(A) · op(B) + beta · C, row-major; op(A) is (M, K), op(B) is (K, N); A, B, C are views starting at the
/// matrices' first elements, with leading dimensions Lda, Ldb, Ldc.
///
/// <see cref="Gemm"/>: explicitly grouped and tiled. A group of TX × TY threads (Group.DimX × Group.DimY, chosen at
/// launch: 16 × 16 on GPUs, 2 × 2 on ILGPU's CPU accelerator) computes a (4·TY) × (4·TX) tile of C; each thread owns a
/// 4 × 4 register block of rows ty + TY·r and columns tx + TX·q (strided, so neighbouring threads touch neighbouring
/// columns: coalesced stores, conflict-free shared-memory reads). The A and B tiles of KTile steps of k are staged in
/// dynamic shared memory of KTile · (4·TY + 4·TX) floats. ILGPU 1.5 unrolls no loops, so the block is a struct of
/// sixteen named floats, not an array: it stays in registers (the PTX test checks that no local memory is used).
/// <see cref="GemmDirect"/>: one thread per element of C, for small or very thin problems.
/// </summary>
public static class GemmKernels
{
    public static void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmShape s)
    {
        var shared = SharedMemory.GetDynamic<float>();
        int tx = Group.IdxX, ty = Group.IdxY, dimX = Group.DimX, dimY = Group.DimY;
        int mt = 4 * dimY, nt = 4 * dimX, kt = s.KTile, threads = dimX * dimY, lid = ty * dimX + tx;
        int gm = Grid.IdxX * mt, gn = Grid.IdxY * nt, bOffset = kt * mt;
        Block4x4 acc = default;
        for (int k0 = 0; k0 < s.K; k0 += kt)
        {
            // stage the tiles: shared[kk·mt + mm] = op(A)[gm + mm, k0 + kk], shared[bOffset + kk·nt + nn] = op(B)[k0 +
            // kk, gn + nn]
            for (int e = lid; e < kt * mt; e += threads)
            {
                int kk, mm;
                if (s.TransA != 0) { kk = e / mt; mm = e - kk * mt; }   // A stored (K, M): neighbours read along m
                else { mm = e / kt; kk = e - mm * kt; }                  // A stored (M, K): neighbours read along k
                int row = gm + mm, k = k0 + kk;
                shared[kk * mt + mm] = row < s.M && k < s.K
                    ? a[s.TransA != 0 ? k * s.Lda + row : row * s.Lda + k] : 0f;
            }
            for (int e = lid; e < kt * nt; e += threads)
            {
                int kk, nn;
                if (s.TransB != 0) { nn = e / kt; kk = e - nn * kt; }
                else { kk = e / nt; nn = e - kk * nt; }
                int col = gn + nn, k = k0 + kk;
                shared[bOffset + kk * nt + nn] = col < s.N && k < s.K
                    ? b[s.TransB != 0 ? col * s.Ldb + k : k * s.Ldb + col] : 0f;
            }
            Group.Barrier();
            int kend = s.K - k0 < kt ? s.K - k0 : kt;
            for (int kk = 0; kk < kend; kk++)
            {
                int ar = kk * mt + ty, br = bOffset + kk * nt + tx;
                acc.Add(shared[ar], shared[ar + dimY], shared[ar + 2 * dimY], shared[ar + 3 * dimY],
                    shared[br], shared[br + dimX], shared[br + 2 * dimX], shared[br + 3 * dimX]);
            }
            Group.Barrier();
        }
        int r0 = gm + ty, c0 = gn + tx;
        Store(c, s, r0, c0, dimX, acc.C00, acc.C01, acc.C02, acc.C03);
        Store(c, s, r0 + dimY, c0, dimX, acc.C10, acc.C11, acc.C12, acc.C13);
        Store(c, s, r0 + 2 * dimY, c0, dimX, acc.C20, acc.C21, acc.C22, acc.C23);
        Store(c, s, r0 + 3 * dimY, c0, dimX, acc.C30, acc.C31, acc.C32, acc.C33);
    }

    /// <summary>One thread per element of C (grid-stride): a dot product of length K.</summary>
    public static void GemmDirect(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmShape s)
    {
        int total = s.M * s.N;
        for (int e = Threads.Start, step = Threads.Step; e < total; e += step)
        {
            int i = e / s.N, j = e - i * s.N;
            float sum = 0f;
            for (int p = 0; p < s.K; p++)
                sum += a[s.TransA != 0 ? p * s.Lda + i : i * s.Lda + p]
                       * b[s.TransB != 0 ? j * s.Ldb + p : p * s.Ldb + j];
            Put(c, s, i, j, sum);
        }
    }

    // one row of a register block: columns col, col + stride, col + 2·stride, col + 3·stride
    private static void Store(ArrayView<float> c, GemmShape s, int row, int col, int stride,
        float v0, float v1, float v2, float v3)
    {
        if (row >= s.M) return;
        if (col < s.N) Put(c, s, row, col, v0);
        if (col + stride < s.N) Put(c, s, row, col + stride, v1);
        if (col + 2 * stride < s.N) Put(c, s, row, col + 2 * stride, v2);
        if (col + 3 * stride < s.N) Put(c, s, row, col + 3 * stride, v3);
    }

    private static void Put(ArrayView<float> c, GemmShape s, int row, int col, float sum)
    {
        int at = row * s.Ldc + col;
        float v = s.Alpha * sum;
        if (s.Beta != 0f) v += s.Beta * c[at];
        c[at] = v;
    }
}

/// <summary>A GEMM call's sizes, leading dimensions, scalars, transposes (0 or 1) and the k-step of a tile.</summary>
public struct GemmShape
{
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, KTile;
    public float Alpha, Beta;
}

/// <summary>A thread's 4 × 4 block of C accumulators, in registers (fields, not an array).</summary>
internal struct Block4x4
{
    public float C00, C01, C02, C03, C10, C11, C12, C13, C20, C21, C22, C23, C30, C31, C32, C33;

    /// <summary>The rank-1 update C += a · bᵀ.</summary>
    public void Add(float a0, float a1, float a2, float a3, float b0, float b1, float b2, float b3)
    {
        C00 += a0 * b0; C01 += a0 * b1; C02 += a0 * b2; C03 += a0 * b3;
        C10 += a1 * b0; C11 += a1 * b1; C12 += a1 * b2; C13 += a1 * b3;
        C20 += a2 * b0; C21 += a2 * b1; C22 += a2 * b2; C23 += a2 * b3;
        C30 += a3 * b0; C31 += a3 * b1; C32 += a3 * b2; C33 += a3 * b3;
    }
}

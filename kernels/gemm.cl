// C = alpha · op(A) · op(B) + beta · C, row-major; op(A) is (m, k), op(B) is (k, n).
//
// gemm: tiled, with CLBlast-style parameters set by the host per device through #defines:
//   MWG, NWG  rows and columns of C per work-group     KWG        k-step per tile
//   MDIMC, NDIMC  work-group size along rows / columns  (each work item computes MWI = MWG/MDIMC rows × NWI = NWG/NDIMC columns)
//   VWM, VWN  rows / columns a work item owns contiguously before striding by the work-group (1 = fully strided)
//   SA, SB    cache the A / B tile in local memory (GPUs) or read global memory directly (CPUs)
//   TRANS_A, TRANS_B  compile-time transposes
// Inside a work-group, dimension 0 runs along columns (contiguous in row-major B and C), dimension 1 along rows;
// work-groups are numbered rows first (group dimension 0 = row tiles).
// gemm_direct: one work item per element of C, for small or very thin problems.

#ifndef MWG
#define MWG 64
#endif
#ifndef NWG
#define NWG 64
#endif
#ifndef KWG
#define KWG 16
#endif
#ifndef MDIMC
#define MDIMC 16
#endif
#ifndef NDIMC
#define NDIMC 16
#endif
#ifndef VWM
#define VWM 1
#endif
#ifndef VWN
#define VWN 1
#endif
#ifndef SA
#define SA 1
#endif
#ifndef SB
#define SB 1
#endif
#ifndef TRANS_A
#define TRANS_A 0
#endif
#ifndef TRANS_B
#define TRANS_B 0
#endif

#define MWI (MWG / MDIMC)
#define NWI (NWG / NDIMC)
#if TRANS_A
#define A_AT(i, p) a[(p) * lda + (i)]
#else
#define A_AT(i, p) a[(i) * lda + (p)]
#endif
#if TRANS_B
#define B_AT(p, j) b[(j) * ldb + (p)]
#else
#define B_AT(p, j) b[(p) * ldb + (j)]
#endif
// Tile-local row / column of a work item's mi-th row and ni-th column.
#define ROW(mi) (((mi) / VWM) * (MDIMC * VWM) + tm * VWM + (mi) % VWM)
#define COL(ni) (((ni) / VWN) * (NDIMC * VWN) + tn * VWN + (ni) % VWN)


// CPU drivers (SA = SB = 0, VWN > 1, OpenCL only): a work-group tile that lies wholly inside C is computed with VWN-wide
// vector accumulators over contiguous columns, no bounds checks (the register-tiled micro-kernel of CPU BLAS libraries).
// Other tiles, GPUs and CUDA take the scalar code below. B must be untransposed for contiguous vector loads.
#if !defined(CUDA) && !SA && !SB && VWN > 1 && !TRANS_B
#define GEMM_VECTOR_PATH 1
#define VECT_(w) float##w
#define VECT_W(w) VECT_(w)
#define VLOAD_(w) vload##w
#define VLOAD_W(w) VLOAD_(w)
#define VSTORE_(w) vstore##w
#define VSTORE_W(w) VSTORE_(w)
#define realV VECT_W(VWN)
#define vloadV VLOAD_W(VWN)
#define vstoreV VSTORE_W(VWN)
#define NV (NWI / VWN)
DEVICE_FUNC void gemm_full_tile(const int k, const float alpha, __global const float* a, const int lda,
                                __global const float* b, const int ldb, const float beta, __global float* c, const int ldc,
                                const int gm, const int gn, const int tm, const int tn)
{
  realV acc[MWI * NV];
  for (int q = 0; q < MWI * NV; q++) acc[q] = (realV)(0.0f);
  for (int p = 0; p < k; p++) {
    realV bv[NV];
    for (int v = 0; v < NV; v++) bv[v] = vloadV(0, b + p * ldb + gn + COL(v * VWN));
    for (int mi = 0; mi < MWI; mi++) {
      const realV av = (realV)(A_AT(gm + ROW(mi), p));
      for (int v = 0; v < NV; v++) acc[mi * NV + v] = fma(av, bv[v], acc[mi * NV + v]);
    }
  }
  for (int mi = 0; mi < MWI; mi++)
    for (int v = 0; v < NV; v++) {
      __global float* out = c + (gm + ROW(mi)) * ldc + gn + COL(v * VWN);
      realV r = alpha * acc[mi * NV + v];
      if (beta != 0.0f) r += beta * vloadV(0, out);
      vstoreV(r, 0, out);
    }
}
#else
#define GEMM_VECTOR_PATH 0
#endif

__kernel REQD_WORK_GROUP_SIZE(NDIMC, MDIMC, 1)
void gemm(const int m, const int n, const int k, const float alpha,
          __global const float* a, const int a_off, const int lda,
          __global const float* b, const int b_off, const int ldb,
          const float beta, __global float* c, const int c_off, const int ldc)
{
  const int tn = get_local_id(0), tm = get_local_id(1);
  // row tiles along group dimension 0: neighbouring work-groups share a column strip of B, which stays in cache
  const int gm = get_group_id(0) * MWG, gn = get_group_id(1) * NWG;
  a += a_off; b += b_off; c += c_off;
  float acc[MWI * NWI];
  for (int q = 0; q < MWI * NWI; q++) acc[q] = 0.0f;
#if SA
  __local float la[KWG * MWG];
#endif
#if SB
  __local float lb[KWG * NWG];
#endif
#if SA || SB
  const int lid = tm * NDIMC + tn;
#endif
#if GEMM_VECTOR_PATH
  if (gm + MWG <= m && gn + NWG <= n) { gemm_full_tile(k, alpha, a, lda, b, ldb, beta, c, ldc, gm, gn, tm, tn); return; }
#endif
  for (int k0 = 0; k0 < k; k0 += KWG) {
#if SA
    for (int e = lid; e < KWG * MWG; e += MDIMC * NDIMC) {
#if TRANS_A
      const int kk = e / MWG, mm = e % MWG;   // A stored (k, m): consecutive items read consecutive rows of op(A)
#else
      const int mm = e / KWG, kk = e % KWG;   // A stored (m, k): consecutive items read along k
#endif
      la[kk * MWG + mm] = (gm + mm < m && k0 + kk < k) ? A_AT(gm + mm, k0 + kk) : 0.0f;
    }
#endif
#if SB
    for (int e = lid; e < KWG * NWG; e += MDIMC * NDIMC) {
#if TRANS_B
      const int nn = e / KWG, kk = e % KWG;
#else
      const int kk = e / NWG, nn = e % NWG;
#endif
      lb[kk * NWG + nn] = (gn + nn < n && k0 + kk < k) ? B_AT(k0 + kk, gn + nn) : 0.0f;
    }
#endif
#if SA || SB
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
    const int kend = min(KWG, k - k0);
    for (int kk = 0; kk < kend; kk++) {
      float areg[MWI], breg[NWI];
      for (int mi = 0; mi < MWI; mi++) {
#if SA
        areg[mi] = la[kk * MWG + ROW(mi)];
#else
        const int row = gm + ROW(mi);
        areg[mi] = row < m ? A_AT(row, k0 + kk) : 0.0f;
#endif
      }
      for (int ni = 0; ni < NWI; ni++) {
#if SB
        breg[ni] = lb[kk * NWG + COL(ni)];
#else
        const int col = gn + COL(ni);
        breg[ni] = col < n ? B_AT(k0 + kk, col) : 0.0f;
#endif
      }
      for (int mi = 0; mi < MWI; mi++)
        for (int ni = 0; ni < NWI; ni++)
          acc[mi * NWI + ni] += areg[mi] * breg[ni];
    }
#if SA || SB
    barrier(CLK_LOCAL_MEM_FENCE);
#endif
  }
  for (int mi = 0; mi < MWI; mi++)
    for (int ni = 0; ni < NWI; ni++) {
      const int row = gm + ROW(mi), col = gn + COL(ni);
      if (row < m && col < n) {
        float v = alpha * acc[mi * NWI + ni];
        if (beta != 0.0f) v += beta * c[row * ldc + col];
        c[row * ldc + col] = v;
      }
    }
}

__kernel void gemm_direct(const int m, const int n, const int k, const float alpha,
                          __global const float* a, const int a_off, const int lda,
                          __global const float* b, const int b_off, const int ldb,
                          const float beta, __global float* c, const int c_off, const int ldc,
                          const int trans_a, const int trans_b)
{
  const int j = get_global_id(0), i = get_global_id(1);
  if (i >= m || j >= n) return;
  a += a_off; b += b_off; c += c_off;
  float sum = 0.0f;
  for (int p = 0; p < k; p++)
    sum += (trans_a ? a[p * lda + i] : a[i * lda + p]) * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
  float v = alpha * sum;
  if (beta != 0.0f) v += beta * c[i * ldc + j];
  c[i * ldc + j] = v;
}

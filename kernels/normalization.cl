// Local response normalisation across channels and batch normalisation.

// A running sum of squares slides over the channel window, which stays inside the channel group.
// scale = k + α/size · Σ x², y = x · scale^−β
__kernel void lrn_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                          __global float* scale, const int s_off, const int N, const int C, const int HW,
                          const int size, const float alpha, const float beta, const float k, const int groups)
{
  // one work item per (n, group, position); the window never leaves the group's Cg channels
  const int Cg = C / groups;
  const int e = get_global_id(0);
  if (e >= N * groups * HW) return;
  const int n = e / (groups * HW), grp = (e / HW) % groups, pos = e % HW, radius = size / 2;
  const int base = (n * C + grp * Cg) * HW + pos;
  const float a = alpha / size;
  float sq = 0.0f;
  for (int c = 0; c < min(radius, Cg); c++) { const float v = x[x_off + base + c * HW]; sq += v * v; }
  for (int c = 0; c < Cg; c++) {
    const int add = c + radius, sub = c - radius - 1;
    if (add < Cg) { const float v = x[x_off + base + add * HW]; sq += v * v; }
    if (sub >= 0) { const float v = x[x_off + base + sub * HW]; sq -= v * v; }
    const float s = k + a * fmax(sq, 0.0f);
    scale[s_off + base + c * HW] = s;
    y[y_off + base + c * HW] = x[x_off + base + c * HW] * exp2(-beta * log2(s));   // s ≥ k > 0; pow is 10× slower on PoCL
  }
}

// dx = dy · scale^−β − (2αβ/size) · x · Σ_{window} dy · y / scale
__kernel void lrn_backward(__global const float* x, const int x_off, __global const float* y, const int y_off,
                           __global const float* scale, const int s_off, __global const float* dy, const int dy_off,
                           __global float* dx, const int dx_off, const int N, const int C, const int HW,
                           const int size, const float alpha, const float beta, const float k, const int groups)
{
  const int Cg = C / groups;
  const int e = get_global_id(0);
  if (e >= N * groups * HW) return;
  const int n = e / (groups * HW), grp = (e / HW) % groups, pos = e % HW, radius = size / 2;
  const int base = (n * C + grp * Cg) * HW + pos;
  const float factor = 2.0f * alpha * beta / size;
  float acc = 0.0f;
  for (int c = 0; c < min(radius, Cg); c++) { const int o = base + c * HW; acc += dy[dy_off + o] * y[y_off + o] / scale[s_off + o]; }
  for (int c = 0; c < Cg; c++) {
    const int add = c + radius, sub = c - radius - 1;
    if (add < Cg) { const int o = base + add * HW; acc += dy[dy_off + o] * y[y_off + o] / scale[s_off + o]; }
    if (sub >= 0) { const int o = base + sub * HW; acc -= dy[dy_off + o] * y[y_off + o] / scale[s_off + o]; }
    const int at = base + c * HW;
    dx[dx_off + at] = dy[dy_off + at] * exp2(-beta * log2(scale[s_off + at])) - factor * x[x_off + at] * acc;
  }
}

#ifndef BN_LOCAL
#define BN_LOCAL 64
#endif

// Batch norm, training: one work-group of BN_LOCAL items per channel. Two passes (mean, then Σ(x − mean)²) for accuracy.
__kernel REQD_WORK_GROUP_SIZE(BN_LOCAL, 1, 1)
void batch_norm_forward_training(__global const float* x, const int x_off, __global const float* gamma, const int g_off,
                                 __global const float* beta, const int b_off, __global float* y, const int y_off,
                                 __global float* running_mean, const int rm_off, __global float* running_var, const int rv_off,
                                 __global float* save_mean, const int sm_off, __global float* save_inv_std, const int si_off,
                                 const float momentum, const float epsilon, const int N, const int C, const int inner)
{
  __local float scratch[BN_LOCAL];
  const int ch = get_group_id(0), lid = get_local_id(0), m = N * inner;
  float sum = 0.0f;
  for (int e = lid; e < m; e += BN_LOCAL) sum += x[x_off + ((e / inner) * C + ch) * inner + e % inner];
  const float mean = work_group_sum(sum, scratch, lid, BN_LOCAL) / m;
  float sq = 0.0f;
  for (int e = lid; e < m; e += BN_LOCAL) { const float d = x[x_off + ((e / inner) * C + ch) * inner + e % inner] - mean; sq += d * d; }
  const float variance = work_group_sum(sq, scratch, lid, BN_LOCAL) / m;
  const float inv = 1.0f / sqrt(variance + epsilon);
  if (lid == 0) {
    save_mean[sm_off + ch] = mean;
    save_inv_std[si_off + ch] = inv;
    running_mean[rm_off + ch] = (1.0f - momentum) * running_mean[rm_off + ch] + momentum * mean;
    running_var[rv_off + ch] = (1.0f - momentum) * running_var[rv_off + ch] + momentum * (m > 1 ? variance * m / (m - 1) : variance);
  }
  const float sc = gamma[g_off + ch] * inv, sh = beta[b_off + ch] - mean * sc;
  for (int e = lid; e < m; e += BN_LOCAL) {
    const int at = ((e / inner) * C + ch) * inner + e % inner;
    y[y_off + at] = x[x_off + at] * sc + sh;
  }
}

// y = gamma · (x − running_mean) / sqrt(running_var + eps) + beta; one work item per element.
__kernel void batch_norm_forward_inference(__global const float* x, const int x_off, __global const float* gamma, const int g_off,
                                           __global const float* beta, const int b_off, __global const float* running_mean, const int rm_off,
                                           __global const float* running_var, const int rv_off, __global float* y, const int y_off,
                                           const float epsilon, const int N, const int C, const int inner)
{
  const int e = get_global_id(0);
  if (e >= N * C * inner) return;
  const int ch = (e / inner) % C;
  const float sc = gamma[g_off + ch] / sqrt(running_var[rv_off + ch] + epsilon);
  y[y_off + e] = (x[x_off + e] - running_mean[rm_off + ch]) * sc + beta[b_off + ch];
}

// dgamma = Σ dy·x̂, dbeta = Σ dy, dx = γ·inv/m · (m·dy − Σdy − x̂·Σ(dy·x̂)); one work-group per channel.
__kernel REQD_WORK_GROUP_SIZE(BN_LOCAL, 1, 1)
void batch_norm_backward(__global const float* x, const int x_off, __global const float* dy, const int dy_off,
                         __global const float* gamma, const int g_off, __global const float* save_mean, const int sm_off,
                         __global const float* save_inv_std, const int si_off, __global float* dx, const int dx_off,
                         __global float* dgamma, const int dg_off, __global float* dbeta, const int db_off,
                         const int N, const int C, const int inner)
{
  __local float scratch[BN_LOCAL];
  const int ch = get_group_id(0), lid = get_local_id(0), m = N * inner;
  const float mean = save_mean[sm_off + ch], inv = save_inv_std[si_off + ch];
  float sdy = 0.0f, sdyx = 0.0f;
  for (int e = lid; e < m; e += BN_LOCAL) {
    const int at = ((e / inner) * C + ch) * inner + e % inner;
    const float d = dy[dy_off + at];
    sdy += d;
    sdyx += d * (x[x_off + at] - mean) * inv;
  }
  sdy = work_group_sum(sdy, scratch, lid, BN_LOCAL);
  sdyx = work_group_sum(sdyx, scratch, lid, BN_LOCAL);
  if (lid == 0) { dgamma[dg_off + ch] = sdyx; dbeta[db_off + ch] = sdy; }
  const float k1 = gamma[g_off + ch] * inv / m;
  for (int e = lid; e < m; e += BN_LOCAL) {
    const int at = ((e / inner) * C + ch) * inner + e % inner;
    dx[dx_off + at] = k1 * (m * dy[dy_off + at] - sdy - (x[x_off + at] - mean) * inv * sdyx);
  }
}

// Losses: forward writes one loss per sample (N), backward the gradient of scale · Σ loss. Labels are floats holding
// class indices (validated on the host). has_weights selects weighted cross-entropy (weights: (C)).

// One work item per row: stable softmax (max subtracted) and −w[y]·log p[y] = w[y]·(log Σ e^(z−max) − (z_y − max)).
__kernel void softmax_cross_entropy_forward(__global const float* logits, const int z_off, __global const float* labels, const int l_off,
                                            __global const float* weights, const int w_off, const int has_weights,
                                            __global float* probs, const int p_off, __global float* loss, const int loss_off,
                                            const int n, const int c)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  __global const float* z = logits + z_off + i * c;
  __global float* p = probs + p_off + i * c;
  const int y = (int)labels[l_off + i];
  float mx = z[0];
  for (int j = 1; j < c; j++) mx = fmax(mx, z[j]);
  float sum = 0.0f;
  for (int j = 0; j < c; j++) { const float e = exp(z[j] - mx); p[j] = e; sum += e; }
  const float inv = 1.0f / sum;
  for (int j = 0; j < c; j++) p[j] *= inv;
  const float l = log(sum) - (z[y] - mx);
  loss[loss_off + i] = has_weights ? weights[w_off + y] * l : l;
}

// dlogits = scale · w[y] · (p − onehot(y)); one work item per element.
__kernel void softmax_cross_entropy_backward(__global const float* probs, const int p_off, __global const float* labels, const int l_off,
                                             __global const float* weights, const int w_off, const int has_weights,
                                             __global float* dlogits, const int d_off, const float scale, const int n, const int c)
{
  const int e = get_global_id(0);
  if (e >= n * c) return;
  const int i = e / c, j = e % c, y = (int)labels[l_off + i];
  const float s = has_weights ? scale * weights[w_off + y] : scale;
  dlogits[d_off + e] = s * (probs[p_off + e] - (j == y ? 1.0f : 0.0f));
}

// Σ_{j≠y} max(0, 1 + s_j − s_y); one work item per row.
__kernel void hinge_forward(__global const float* scores, const int s_off, __global const float* labels, const int l_off,
                            __global float* loss, const int loss_off, const int n, const int c)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  __global const float* s = scores + s_off + i * c;
  const int y = (int)labels[l_off + i];
  float l = 0.0f;
  for (int j = 0; j < c; j++) if (j != y) l += fmax(0.0f, 1.0f + s[j] - s[y]);
  loss[loss_off + i] = l;
}

__kernel void hinge_backward(__global const float* scores, const int s_off, __global const float* labels, const int l_off,
                             __global float* dscores, const int d_off, const float scale, const int n, const int c)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  __global const float* s = scores + s_off + i * c;
  __global float* d = dscores + d_off + i * c;
  const int y = (int)labels[l_off + i];
  int active = 0;
  for (int j = 0; j < c; j++) {
    const int on = j != y && 1.0f + s[j] - s[y] > 0.0f;
    d[j] = on ? scale : 0.0f;
    active += on;
  }
  d[y] = -scale * active;
}

// Row losses: loss_i = mean_j f(a_ij, t_ij) with KIND 0 = squared error, 1 = absolute error, 2 = BCE on logits.
DEVICE_FUNC float row_term(int kind, float a, float t)
{
  if (kind == 0) return (a - t) * (a - t);
  if (kind == 1) return fabs(a - t);
  return fmax(a, 0.0f) - a * t + log(1.0f + exp(-fabs(a)));
}

DEVICE_FUNC float row_grad(int kind, float a, float t)
{
  if (kind == 0) return 2.0f * (a - t);
  if (kind == 1) return a > t ? 1.0f : (a < t ? -1.0f : 0.0f);
  return 1.0f / (1.0f + exp(-a)) - t;
}

DEVICE_FUNC void row_loss(int kind, __global const float* a, __global const float* t, __global float* loss, int n, int d)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  float sum = 0.0f;
  for (int j = 0; j < d; j++) sum += row_term(kind, a[i * d + j], t[i * d + j]);
  loss[i] = sum / d;
}

DEVICE_FUNC void row_loss_grad(int kind, __global const float* a, __global const float* t, __global float* out, float factor, int total)
{
  const int e = get_global_id(0);
  if (e < total) out[e] = factor * row_grad(kind, a[e], t[e]);
}

__kernel void mse_forward(__global const float* pred, const int p_off, __global const float* target, const int t_off,
                          __global float* loss, const int loss_off, const int n, const int d)
{ row_loss(0, pred + p_off, target + t_off, loss + loss_off, n, d); }

__kernel void mse_backward(__global const float* pred, const int p_off, __global const float* target, const int t_off,
                           __global float* dpred, const int d_off, const float factor, const int total)
{ row_loss_grad(0, pred + p_off, target + t_off, dpred + d_off, factor, total); }

__kernel void mae_forward(__global const float* pred, const int p_off, __global const float* target, const int t_off,
                          __global float* loss, const int loss_off, const int n, const int d)
{ row_loss(1, pred + p_off, target + t_off, loss + loss_off, n, d); }

__kernel void mae_backward(__global const float* pred, const int p_off, __global const float* target, const int t_off,
                           __global float* dpred, const int d_off, const float factor, const int total)
{ row_loss_grad(1, pred + p_off, target + t_off, dpred + d_off, factor, total); }

__kernel void binary_cross_entropy_forward(__global const float* logits, const int z_off, __global const float* target, const int t_off,
                                           __global float* loss, const int loss_off, const int n, const int d)
{ row_loss(2, logits + z_off, target + t_off, loss + loss_off, n, d); }

__kernel void binary_cross_entropy_backward(__global const float* logits, const int z_off, __global const float* target, const int t_off,
                                            __global float* dlogits, const int d_off, const float factor, const int total)
{ row_loss_grad(2, logits + z_off, target + t_off, dlogits + d_off, factor, total); }

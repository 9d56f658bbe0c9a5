// Parameter updates, one work item per element; g' = g + weight_decay·w + l1·sign(w) (common.cl).

__kernel void sgd_update(__global float* w, const int w_off, __global const float* g, const int g_off,
                         const float lr, const float weight_decay, const float l1, const int n)
{
  const int i = get_global_id(0);
  if (i < n) w[w_off + i] -= lr * effective_gradient(g[g_off + i], w[w_off + i], weight_decay, l1);
}

__kernel void momentum_update(__global float* w, const int w_off, __global const float* g, const int g_off,
                              __global float* v, const int v_off, const float lr, const float momentum,
                              const float weight_decay, const float l1, const int n)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  const float vi = momentum * v[v_off + i] - lr * effective_gradient(g[g_off + i], w[w_off + i], weight_decay, l1);
  v[v_off + i] = vi;
  w[w_off + i] += vi;
}

__kernel void ada_grad_update(__global float* w, const int w_off, __global const float* g, const int g_off,
                              __global float* h, const int h_off, const float lr, const float epsilon,
                              const float weight_decay, const float l1, const int n)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  const float gi = effective_gradient(g[g_off + i], w[w_off + i], weight_decay, l1);
  const float hi = h[h_off + i] + gi * gi;
  h[h_off + i] = hi;
  w[w_off + i] -= lr * gi / (sqrt(hi) + epsilon);
}

__kernel void rms_prop_update(__global float* w, const int w_off, __global const float* g, const int g_off,
                              __global float* s, const int s_off, const float lr, const float rho, const float epsilon,
                              const float weight_decay, const float l1, const int n)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  const float gi = effective_gradient(g[g_off + i], w[w_off + i], weight_decay, l1);
  const float si = rho * s[s_off + i] + (1.0f - rho) * gi * gi;
  s[s_off + i] = si;
  w[w_off + i] -= lr * gi / (sqrt(si) + epsilon);
}

// Adam; c1 = 1/(1 − β1^t) and c2 = 1/(1 − β2^t) are the bias corrections, computed on the host.
__kernel void adam_update(__global float* w, const int w_off, __global const float* g, const int g_off,
                          __global float* m, const int m_off, __global float* v, const int v_off,
                          const float lr, const float beta1, const float beta2, const float epsilon,
                          const float c1, const float c2, const float weight_decay, const float l1, const int n)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  const float gi = effective_gradient(g[g_off + i], w[w_off + i], weight_decay, l1);
  const float mi = beta1 * m[m_off + i] + (1.0f - beta1) * gi;
  const float vi = beta2 * v[v_off + i] + (1.0f - beta2) * gi * gi;
  m[m_off + i] = mi;
  v[v_off + i] = vi;
  w[w_off + i] -= lr * (mi * c1) / (sqrt(vi * c2) + epsilon);
}

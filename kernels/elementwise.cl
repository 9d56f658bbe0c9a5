// Element-wise ops, bias and dropout. Every tensor comes as (pointer, element offset). One work item per element
// unless said otherwise.

// t[i] = value
__kernel void fill(__global float* t, const int t_off, const int n, const float value)
{
  const int i = get_global_id(0);
  if (i < n) t[t_off + i] = value;
}

// dst[i] = src[i]
__kernel void copy(__global const float* src, const int src_off, __global float* dst, const int dst_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) dst[dst_off + i] = src[src_off + i];
}

// y += alpha · x
__kernel void axpy(const float alpha, __global const float* x, const int x_off, __global float* y, const int y_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) y[y_off + i] += alpha * x[x_off + i];
}

// t *= alpha
__kernel void scale(__global float* t, const int t_off, const float alpha, const int n)
{
  const int i = get_global_id(0);
  if (i < n) t[t_off + i] *= alpha;
}

// y: (N, C, inner) += bias[c]
__kernel void bias_add_forward(__global float* y, const int y_off, __global const float* bias, const int bias_off,
                               const int n, const int c, const int inner)
{
  const int i = get_global_id(0);
  if (i < n * c * inner) y[y_off + i] += bias[bias_off + (i / inner) % c];
}

// dbias[c] = Σ_{n, i} dy[n, c, i]; one work-group of BIAS_LOCAL items per channel.
#ifndef BIAS_LOCAL
#define BIAS_LOCAL 64
#endif
__kernel REQD_WORK_GROUP_SIZE(BIAS_LOCAL, 1, 1)
void bias_add_backward(__global const float* dy, const int dy_off, __global float* dbias, const int dbias_off,
                       const int n, const int c, const int inner)
{
  __local float scratch[BIAS_LOCAL];
  const int ch = get_group_id(0), lid = get_local_id(0);
  float sum = 0.0f;
  for (int e = lid; e < n * inner; e += BIAS_LOCAL)
    sum += dy[dy_off + ((e / inner) * c + ch) * inner + e % inner];
  sum = work_group_sum(sum, scratch, lid, BIAS_LOCAL);
  if (lid == 0) dbias[dbias_off + ch] = sum;
}

// Inverted dropout: mask = (u ≥ p) / (1 − p), y = x · mask. Element i is row i / row_length, column i % row_length and
// draws hash index row·global_row + row_offset + column (a tower's slice of a wider activation gets its exact mask bits).
__kernel void dropout_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                              __global float* mask, const int mask_off, const float p, const uint seed,
                              const int row_length, const int row_offset, const int global_row, const int n)
{
  const int i = get_global_id(0);
  if (i >= n) return;
  const uint index = (uint)((i / row_length) * global_row + row_offset + i % row_length);
  const float m = dropout_uniform(seed, index) >= p ? 1.0f / (1.0f - p) : 0.0f;
  mask[mask_off + i] = m;
  y[y_off + i] = x[x_off + i] * m;
}

// rows × row_length elements: dst[dst_off + r·dst_stride + j] = src[src_off + r·src_stride + j]
__kernel void copy_rows(__global const float* src, const int src_off, const int src_stride,
                        __global float* dst, const int dst_off, const int dst_stride, const int rows, const int row_length)
{
  const int e = get_global_id(0);
  if (e >= rows * row_length) return;
  const int r = e / row_length, j = e % row_length;
  dst[dst_off + r * dst_stride + j] = src[src_off + r * src_stride + j];
}

// dx = dy · mask
__kernel void dropout_backward(__global const float* dy, const int dy_off, __global const float* mask, const int mask_off,
                               __global float* dx, const int dx_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) dx[dx_off + i] = dy[dy_off + i] * mask[mask_off + i];
}

// Pooling over (N·C) planes of H×W; output OH×OW; windows kh×kw, stride sh×sw, padding ph×pw (floor mode).
// Backward kernels gather (one work item per input element, visiting the output cells whose window covers it),
// so overlapping windows need no atomics.

// First maximum of output cell (i, j)'s window in one plane; padding never wins. Returns h·W + w.
DEVICE_FUNC int window_argmax(__global const float* plane, int H, int W, int kh, int kw, int sh, int sw, int ph, int pw, int i, int j)
{
  int h0 = i * sh - ph, w0 = j * sw - pw;
  const int h1 = min(h0 + kh, H), w1 = min(w0 + kw, W);
  h0 = max(h0, 0); w0 = max(w0, 0);
  int best = h0 * W + w0;
  float best_value = plane[best];
  for (int h = h0; h < h1; h++)
    for (int w = w0; w < w1; w++) {
      const float v = plane[h * W + w];
      if (v > best_value) { best_value = v; best = h * W + w; }
    }
  return best;
}

__kernel void max_pool2d_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                                 const int planes, const int H, const int W, const int OH, const int OW,
                                 const int kh, const int kw, const int sh, const int sw, const int ph, const int pw)
{
  const int e = get_global_id(0);
  if (e >= planes * OH * OW) return;
  const int p = e / (OH * OW), i = (e / OW) % OH, j = e % OW;
  __global const float* plane = x + x_off + p * H * W;
  y[y_off + e] = plane[window_argmax(plane, H, W, kh, kw, sh, sw, ph, pw, i, j)];
}

// Max-pool backward in two passes. First each output cell's first maximum, as in forward (plane-local index h·W + w)...
__kernel void max_pool2d_backward_argmax(__global const float* x, const int x_off, __global int* argmax, const int a_off,
                                         const int planes, const int H, const int W, const int OH, const int OW,
                                         const int kh, const int kw, const int sh, const int sw, const int ph, const int pw)
{
  const int e = get_global_id(0);
  if (e >= planes * OH * OW) return;
  const int p = e / (OH * OW), i = (e / OW) % OH, j = e % OW;
  argmax[a_off + e] = window_argmax(x + x_off + p * H * W, H, W, kh, kw, sh, sw, ph, pw, i, j);
}

// ...then every input element gathers dy of the cells whose maximum it is: one index read per covering cell, instead
// of recomputing each covering window (kh·kw reads), which made backward 3–10× forward.
__kernel void max_pool2d_backward(__global const int* argmax, const int a_off, __global const float* dy, const int dy_off,
                                  __global float* dx, const int dx_off,
                                  const int planes, const int H, const int W, const int OH, const int OW,
                                  const int kh, const int kw, const int sh, const int sw, const int ph, const int pw)
{
  const int e = get_global_id(0);
  if (e >= planes * H * W) return;
  const int p = e / (H * W), h = (e / W) % H, w = e % W;
  // output rows i with i·sh − ph ≤ h < i·sh − ph + kh, likewise columns
  const int i0 = max(0, (h + ph - kh + sh) / sh), i1 = min(OH - 1, (h + ph) / sh);
  const int j0 = max(0, (w + pw - kw + sw) / sw), j1 = min(OW - 1, (w + pw) / sw);
  float sum = 0.0f;
  for (int i = i0; i <= i1; i++)
    for (int j = j0; j <= j1; j++) {
      const int o = (p * OH + i) * OW + j;
      if (argmax[a_off + o] == h * W + w) sum += dy[dy_off + o];
    }
  dx[dx_off + e] = sum;
}

// Divisor of cell (i, j): its window clipped to the padded input (count_include_pad).
DEVICE_FUNC float avg_divisor(int H, int W, int kh, int kw, int sh, int sw, int ph, int pw, int i, int j)
{
  const int h0 = i * sh - ph, w0 = j * sw - pw;
  const int h1 = min(h0 + kh, H + ph), w1 = min(w0 + kw, W + pw);
  return (float)((h1 - h0) * (w1 - w0));
}

__kernel void avg_pool2d_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                                 const int planes, const int H, const int W, const int OH, const int OW,
                                 const int kh, const int kw, const int sh, const int sw, const int ph, const int pw)
{
  const int e = get_global_id(0);
  if (e >= planes * OH * OW) return;
  const int p = e / (OH * OW), i = (e / OW) % OH, j = e % OW;
  __global const float* plane = x + x_off + p * H * W;
  const int h0 = i * sh - ph, w0 = j * sw - pw;
  float sum = 0.0f;
  for (int h = max(h0, 0); h < min(h0 + kh, H); h++)
    for (int w = max(w0, 0); w < min(w0 + kw, W); w++) sum += plane[h * W + w];
  y[y_off + e] = sum / avg_divisor(H, W, kh, kw, sh, sw, ph, pw, i, j);
}

__kernel void avg_pool2d_backward(__global const float* dy, const int dy_off, __global float* dx, const int dx_off,
                                  const int planes, const int H, const int W, const int OH, const int OW,
                                  const int kh, const int kw, const int sh, const int sw, const int ph, const int pw)
{
  const int e = get_global_id(0);
  if (e >= planes * H * W) return;
  const int p = e / (H * W), h = (e / W) % H, w = e % W;
  const int i0 = max(0, (h + ph - kh + sh) / sh), i1 = min(OH - 1, (h + ph) / sh);
  const int j0 = max(0, (w + pw - kw + sw) / sw), j1 = min(OW - 1, (w + pw) / sw);
  float sum = 0.0f;
  for (int i = i0; i <= i1; i++)
    for (int j = j0; j <= j1; j++)
      sum += dy[dy_off + (p * OH + i) * OW + j] / avg_divisor(H, W, kh, kw, sh, sw, ph, pw, i, j);
  dx[dx_off + e] = sum;
}

// y[p] = mean of plane p; one work item per plane.
__kernel void global_avg_pool_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                                      const int planes, const int plane_size)
{
  const int p = get_global_id(0);
  if (p >= planes) return;
  float sum = 0.0f;
  for (int k = 0; k < plane_size; k++) sum += x[x_off + p * plane_size + k];
  y[y_off + p] = sum / plane_size;
}

__kernel void global_avg_pool_backward(__global const float* dy, const int dy_off, __global float* dx, const int dx_off,
                                       const int planes, const int plane_size)
{
  const int e = get_global_id(0);
  if (e < planes * plane_size) dx[dx_off + e] = dy[dy_off + e / plane_size] / plane_size;
}

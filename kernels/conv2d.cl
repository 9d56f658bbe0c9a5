// 2-D convolution, NCHW. x: (N, C, H, W), w: (K, C/G, R, S), y: (N, K, OH, OW), G groups. Two ways, chosen per shape
// by the accelerator: direct kernels (one work item per output, input or filter element), or im2col/col2im around GEMM.
// Geometry arguments always come in this order: N, C, H, W, K, R, S, stride_h, stride_w, pad_h, pad_w, groups, OH, OW.
#define CONV_GEOMETRY const int N, const int C, const int H, const int W, const int K, const int R, const int S, \
  const int sh, const int sw, const int ph, const int pw, const int G, const int OH, const int OW

// y[n, k, i, j] = bias[k] + Σ_{c, r, s} x[n, g·Cg + c, i·sh − ph + r, j·sw − pw + s] · w[k, c, r, s]
__kernel void conv2d_forward(__global const float* x, const int x_off, __global const float* w, const int w_off,
                             __global const float* bias, const int b_off, const int has_bias,
                             __global float* y, const int y_off, CONV_GEOMETRY)
{
  const int e = get_global_id(0);
  if (e >= N * K * OH * OW) return;
  const int j = e % OW, i = (e / OW) % OH, k = (e / (OH * OW)) % K, n = e / (K * OH * OW);
  const int Cg = C / G, Kg = K / G, g = k / Kg;
  float sum = has_bias ? bias[b_off + k] : 0.0f;
  for (int c = 0; c < Cg; c++) {
    __global const float* plane = x + x_off + (n * C + g * Cg + c) * H * W;
    __global const float* filt = w + w_off + (k * Cg + c) * R * S;
    for (int r = 0; r < R; r++) {
      const int ih = i * sh - ph + r;
      if (ih < 0 || ih >= H) continue;
      for (int s = 0; s < S; s++) {
        const int iw = j * sw - pw + s;
        if (iw >= 0 && iw < W) sum += plane[ih * W + iw] * filt[r * S + s];
      }
    }
  }
  y[y_off + e] = sum;
}

// dx[n, c, h, w] = Σ_{k in c's group, r, s: (h + ph − r) = i·sh, (w + pw − s) = j·sw} dy[n, k, i, j] · w[k, c', r, s]
__kernel void conv2d_backward_data(__global const float* dy, const int dy_off, __global const float* w, const int w_off,
                                   __global float* dx, const int dx_off, CONV_GEOMETRY)
{
  const int e = get_global_id(0);
  if (e >= N * C * H * W) return;
  const int xw = e % W, xh = (e / W) % H, c = (e / (H * W)) % C, n = e / (C * H * W);
  const int Cg = C / G, Kg = K / G, g = c / Cg, cl = c % Cg;
  float sum = 0.0f;
  for (int r = 0; r < R; r++) {
    const int ti = xh + ph - r;
    if (ti < 0 || ti % sh != 0 || ti / sh >= OH) continue;
    for (int s = 0; s < S; s++) {
      const int tj = xw + pw - s;
      if (tj < 0 || tj % sw != 0 || tj / sw >= OW) continue;
      const int i = ti / sh, j = tj / sw;
      for (int kl = 0; kl < Kg; kl++) {
        const int k = g * Kg + kl;
        sum += dy[dy_off + ((n * K + k) * OH + i) * OW + j] * w[w_off + ((k * Cg + cl) * R + r) * S + s];
      }
    }
  }
  dx[dx_off + e] = sum;
}

// dw[k, c, r, s] = Σ_{n, i, j} dy[n, k, i, j] · x[n, g·Cg + c, i·sh − ph + r, j·sw − pw + s]
__kernel void conv2d_backward_filter(__global const float* x, const int x_off, __global const float* dy, const int dy_off,
                                     __global float* dw, const int dw_off, CONV_GEOMETRY)
{
  const int Cg = C / G, Kg = K / G;
  const int e = get_global_id(0);
  if (e >= K * Cg * R * S) return;
  const int s = e % S, r = (e / S) % R, c = (e / (R * S)) % Cg, k = e / (Cg * R * S), g = k / Kg;
  float sum = 0.0f;
  for (int n = 0; n < N; n++) {
    __global const float* plane = x + x_off + (n * C + g * Cg + c) * H * W;
    __global const float* grad = dy + dy_off + (n * K + k) * OH * OW;
    for (int i = 0; i < OH; i++) {
      const int ih = i * sh - ph + r;
      if (ih < 0 || ih >= H) continue;
      for (int j = 0; j < OW; j++) {
        const int iw = j * sw - pw + s;
        if (iw >= 0 && iw < W) sum += grad[i * OW + j] * plane[ih * W + iw];
      }
    }
  }
  dw[dw_off + e] = sum;
}

// Images [n0, n0 + count), group g → col (Cg·R·S, count·OH·OW), images side by side; zeros over the padding.
__kernel void conv2d_im2col(__global const float* x, const int x_off, __global float* col, const int col_off,
                            const int n0, const int count, const int g, CONV_GEOMETRY)
{
  const int Cg = C / G, ohw = OH * OW, cols = count * ohw;
  const int e = get_global_id(0);
  if (e >= Cg * R * S * cols) return;
  const int q = e % cols, row = e / cols;
  const int img = q / ohw, i = (q % ohw) / OW, j = q % OW;
  const int s = row % S, r = (row / S) % R, c = row / (R * S);
  const int ih = i * sh - ph + r, iw = j * sw - pw + s;
  col[col_off + e] = (ih >= 0 && ih < H && iw >= 0 && iw < W)
    ? x[x_off + (((n0 + img) * C + g * Cg + c) * H + ih) * W + iw] : 0.0f;
}

// The adjoint of conv2d_im2col: dx[n0 + img, g·Cg + c, h, w] = Σ of the col entries that came from it (overwrites).
__kernel void conv2d_col2im(__global const float* col, const int col_off, __global float* dx, const int dx_off,
                            const int n0, const int count, const int g, CONV_GEOMETRY)
{
  const int Cg = C / G, ohw = OH * OW, cols = count * ohw;
  const int e = get_global_id(0);
  if (e >= count * Cg * H * W) return;
  const int xw = e % W, xh = (e / W) % H, c = (e / (H * W)) % Cg, img = e / (Cg * H * W);
  float sum = 0.0f;
  for (int r = 0; r < R; r++) {
    const int ti = xh + ph - r;
    if (ti < 0 || ti % sh != 0 || ti / sh >= OH) continue;
    for (int s = 0; s < S; s++) {
      const int tj = xw + pw - s;
      if (tj < 0 || tj % sw != 0 || tj / sw >= OW) continue;
      sum += col[col_off + ((c * R + r) * S + s) * cols + img * ohw + (ti / sh) * OW + tj / sw];
    }
  }
  dx[dx_off + (((n0 + img) * C + g * Cg + c) * H + xh) * W + xw] = sum;
}

// Moves between NCHW outputs of images [n0, n0 + count), group g, and a (Kg, count·OH·OW) GEMM matrix:
// to_matrix = 1 gathers y into m; 0 scatters m into y, adding bias[k] when has_bias.
__kernel void conv2d_output_matrix(__global float* y, const int y_off, __global float* m, const int m_off,
                                   __global const float* bias, const int b_off, const int has_bias, const int to_matrix,
                                   const int n0, const int count, const int g, const int K, const int G, const int ohw)
{
  const int Kg = K / G, cols = count * ohw;
  const int e = get_global_id(0);
  if (e >= Kg * cols) return;
  const int kl = e / cols, q = e % cols, img = q / ohw, p = q % ohw;
  const int at = y_off + ((n0 + img) * K + g * Kg + kl) * ohw + p;
  if (to_matrix) m[m_off + e] = y[at];
  else y[at] = m[m_off + e] + (has_bias ? bias[b_off + g * Kg + kl] : 0.0f);
}

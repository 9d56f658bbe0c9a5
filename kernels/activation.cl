// Activations, forward and backward; one work item per element. Backward of ReLU, sigmoid and tanh reads the
// forward output y; LeakyReLU reads the input x. dx may alias dy.

__kernel void relu_forward(__global const float* x, const int x_off, __global float* y, const int y_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) y[y_off + i] = fmax(x[x_off + i], 0.0f);
}

__kernel void relu_backward(__global const float* y, const int y_off, __global const float* dy, const int dy_off,
                            __global float* dx, const int dx_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) dx[dx_off + i] = y[y_off + i] > 0.0f ? dy[dy_off + i] : 0.0f;
}

__kernel void leaky_relu_forward(__global const float* x, const int x_off, __global float* y, const int y_off,
                                 const float slope, const int n)
{
  const int i = get_global_id(0);
  if (i < n) { const float v = x[x_off + i]; y[y_off + i] = v > 0.0f ? v : slope * v; }
}

__kernel void leaky_relu_backward(__global const float* x, const int x_off, __global const float* dy, const int dy_off,
                                  __global float* dx, const int dx_off, const float slope, const int n)
{
  const int i = get_global_id(0);
  if (i < n) dx[dx_off + i] = x[x_off + i] > 0.0f ? dy[dy_off + i] : slope * dy[dy_off + i];
}

__kernel void sigmoid_forward(__global const float* x, const int x_off, __global float* y, const int y_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) y[y_off + i] = 1.0f / (1.0f + exp(-x[x_off + i]));
}

__kernel void sigmoid_backward(__global const float* y, const int y_off, __global const float* dy, const int dy_off,
                               __global float* dx, const int dx_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) { const float v = y[y_off + i]; dx[dx_off + i] = dy[dy_off + i] * v * (1.0f - v); }
}

__kernel void tanh_forward(__global const float* x, const int x_off, __global float* y, const int y_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) y[y_off + i] = tanh(x[x_off + i]);
}

__kernel void tanh_backward(__global const float* y, const int y_off, __global const float* dy, const int dy_off,
                            __global float* dx, const int dx_off, const int n)
{
  const int i = get_global_id(0);
  if (i < n) { const float v = y[y_off + i]; dx[dx_off + i] = dy[dy_off + i] * (1.0f - v * v); }
}

using ILGPU;
using ILGPU.Algorithms;

namespace GpuNet.Kernels;

/// <summary>
/// Activations, forward and backward; grid-stride over elements. Backward of ReLU, sigmoid and tanh reads the forward
/// output y; LeakyReLU reads the input x. dx may alias dy.
/// </summary>
public static class ActivationKernels
{
    public static void ReluForward(ArrayView<float> x, ArrayView<float> y)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) y[i] = XMath.Max(x[i], 0f);
    }

    public static void ReluBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        int n = y.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) dx[i] = y[i] > 0f ? dy[i] : 0f;
    }

    public static void LeakyReluForward(ArrayView<float> x, ArrayView<float> y, float slope)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float v = x[i];
            y[i] = v > 0f ? v : slope * v;
        }
    }

    public static void LeakyReluBackward(ArrayView<float> x, ArrayView<float> dy, ArrayView<float> dx, float slope)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) dx[i] = x[i] > 0f ? dy[i] : slope * dy[i];
    }

    public static void SigmoidForward(ArrayView<float> x, ArrayView<float> y)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) y[i] = 1f / (1f + XMath.Exp(-x[i]));
    }

    public static void SigmoidBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        int n = y.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float v = y[i];
            dx[i] = dy[i] * v * (1f - v);
        }
    }

    public static void TanhForward(ArrayView<float> x, ArrayView<float> y)
    {
        int n = x.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) y[i] = XMath.Tanh(x[i]);
    }

    public static void TanhBackward(ArrayView<float> y, ArrayView<float> dy, ArrayView<float> dx)
    {
        int n = y.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step)
        {
            float v = y[i];
            dx[i] = dy[i] * (1f - v * v);
        }
    }
}

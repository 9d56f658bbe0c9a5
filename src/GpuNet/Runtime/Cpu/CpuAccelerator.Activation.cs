using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace GpuNet.Runtime.Cpu;

public sealed unsafe partial class CpuAccelerator
{
    private const int ElementGrain = 1 << 15;

    /// <summary>Runs a span kernel over the tensors' elements in parallel chunks.</summary>
    private void Map(Tensor a, Tensor b, Action<ReadOnlySpan<float>, Span<float>> f)
    {
        float* pa = P(a), pb = P(b);
        For(a.Length, ElementGrain,
            (s, e) => f(new ReadOnlySpan<float>(pa + s, e - s), new Span<float>(pb + s, e - s)));
    }

    private delegate void Map3Body(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c);

    private void Map(Tensor a, Tensor b, Tensor c, Map3Body f)
    {
        float* pa = P(a), pb = P(b), pc = P(c);
        For(a.Length, ElementGrain, (s, e) => f(new ReadOnlySpan<float>(pa + s, e - s),
            new ReadOnlySpan<float>(pb + s, e - s), new Span<float>(pc + s, e - s)));
    }

    protected override void ReluForwardInternal(Tensor x, Tensor y) =>
        Map(x, y, (xs, ys) => TensorPrimitives.Max(xs, 0f, ys));

    protected override void ReluBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        Map(y, dy, dx, static (ys, dys, dxs) =>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= ys.Length; i += 8)
            {
                var keep = Vector256.GreaterThan(Vector256.Create(ys.Slice(i, 8)), Vector256<float>.Zero);
                (keep & Vector256.Create(dys.Slice(i, 8))).CopyTo(dxs.Slice(i, 8));
            }
        for (; i < ys.Length; i++) dxs[i] = ys[i] > 0f ? dys[i] : 0f;
    });

    protected override void LeakyReluForwardInternal(Tensor x, Tensor y, float slope) => Map(x, y, (xs, ys) =>
    {
        for (int i = 0; i < xs.Length; i++) ys[i] = xs[i] > 0f ? xs[i] : slope * xs[i];
    });

    protected override void LeakyReluBackwardInternal(Tensor x, Tensor dy, Tensor dx, float slope) =>
        Map(x, dy, dx, (xs, dys, dxs) =>
    {
        for (int i = 0; i < xs.Length; i++) dxs[i] = xs[i] > 0f ? dys[i] : slope * dys[i];
    });

    protected override void SigmoidForwardInternal(Tensor x, Tensor y) =>
        Map(x, y, (xs, ys) => TensorPrimitives.Sigmoid(xs, ys));

    protected override void SigmoidBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        Map(y, dy, dx, static (ys, dys, dxs) =>
    {
        for (int i = 0; i < ys.Length; i++) dxs[i] = dys[i] * ys[i] * (1f - ys[i]);
    });

    protected override void TanhForwardInternal(Tensor x, Tensor y) =>
        Map(x, y, (xs, ys) => TensorPrimitives.Tanh(xs, ys));

    protected override void TanhBackwardInternal(Tensor y, Tensor dy, Tensor dx) =>
        Map(y, dy, dx, static (ys, dys, dxs) =>
    {
        for (int i = 0; i < ys.Length; i++) dxs[i] = dys[i] * (1f - ys[i] * ys[i]);
    });
}

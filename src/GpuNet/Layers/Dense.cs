using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>
/// Fully connected layer: y = x · Wᵀ + b. x: (N, In) (higher-rank inputs are flattened), W: (Out, In).
/// </summary>
public sealed class Dense(string name, int outputs) : BufferedLayer(name)
{
    private Tensor? _x;
    private int _in;
    public Parameter Weight { get; private set; } = null!;
    public Parameter Bias { get; private set; } = null!;

    public override string Kind => "Dense";
    public override string Details => $"{_in} → {outputs}";

    protected override int[] SetupInternal(int[] s)
    {
        _in = Shapes.Product(s);
        Weight = AddParameter("weight", ParameterRole.Weight, [outputs, _in], true, _in, outputs);
        Bias = AddParameter("bias", ParameterRole.Bias, [outputs], true, _in, 1);
        return [outputs];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        int n = x.Shape[0];
        _x = x.Rank == 2 ? x : x.View(n, _in);
        var y = Output(n);
        Accelerator.Gemm(false, true, 1f, _x, Weight.Data, 0f, y);   // (N, In) · (In, Out)
        Accelerator.BiasAddForward(y, Bias.Data);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        int n = dy.Shape[0];
        Accelerator.Gemm(true, false, 1f, dy, _x!, 0f, Weight.Grad!);   // dW (Out, In) = dyᵀ · x
        Accelerator.BiasAddBackward(dy, Bias.Grad!);
        if (!PropagateDown) return null;
        var dx = InputGradient(n);
        Accelerator.Gemm(false, false, 1f, dy, Weight.Data, 0f, dx.Rank == 2 ? dx : dx.View(n, _in));   // dx = dy · W
        return dx;
    }
}

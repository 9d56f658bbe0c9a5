using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>
/// Fully connected layer: y = x · Wᵀ + b. x: (N, In) (higher-rank inputs are flattened), W: (Out, In).
/// </summary>
public sealed class Dense(string name, int outputs, bool bias = true) : BufferedLayer(name), IDescribedLayer
{
    private Tensor? _x;
    private int _in;
    public Parameter Weight { get; private set; } = null!;
    /// <summary>The bias (Out), or null for a layer without one (<c>bias: false</c>).</summary>
    public Parameter? Bias { get; private set; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias => bias;
    /// <summary>Output units.</summary>
    public int Outputs => outputs;

    public override string Kind => "Dense";
    public override string Details => $"{_in} → {outputs}" + (bias ? "" : " no bias");
    public override long MultiplyAccumulates => (long)_in * outputs;

    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "dense",
            Summary = "fully connected: (…) → (units), flattening a (C, H, W) input",
            Settings =
            [
                new("units", "a positive integer or 'classes'", null, "output units"),
                new("bias", "true or false", "true", "whether the layer adds a bias"),
                new("weight_init", Conv2d.InitSpecKind, "--init", "the weights' initialiser"),
                new("bias_init", Conv2d.InitSpecKind, "--init", "the bias's initialiser"),
            ],
            Create = a => Conv2d.WithInit(a, new Dense(a.Name, a.Int("units", 1, allowClasses: true), a.Bool("bias"))),
        },
    ];

    protected override int[] SetupInternal(int[] s)
    {
        _in = Shapes.Product(s);
        Weight = AddParameter("weight", ParameterRole.Weight, [outputs, _in], true, _in, outputs);
        if (bias) Bias = AddParameter("bias", ParameterRole.Bias, [outputs], true, _in, 1);
        return [outputs];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        int n = x.Shape[0];
        _x = x.Rank == 2 ? x : x.View(n, _in);
        var y = Output(n);
        Accelerator.Gemm(false, true, 1f, _x, Weight.Data, 0f, y);   // (N, In) · (In, Out)
        if (Bias is not null) Accelerator.BiasAddForward(y, Bias.Data);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        int n = dy.Shape[0];
        Accelerator.Gemm(true, false, 1f, dy, _x!, 0f, Weight.Grad!);   // dW (Out, In) = dyᵀ · x
        if (Bias is not null) Accelerator.BiasAddBackward(dy, Bias.Grad!);
        if (!PropagateDown) return null;
        var dx = InputGradient(n);
        Accelerator.Gemm(false, false, 1f, dy, Weight.Data, 0f, dx.Rank == 2 ? dx : dx.View(n, _in));   // dx = dy · W
        return dx;
    }
}

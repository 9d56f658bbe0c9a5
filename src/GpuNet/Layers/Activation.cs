using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>Activation functions the layers and the MLP know.</summary>
public enum ActivationKind { Relu, LeakyRelu, Sigmoid, Tanh }

/// <summary>An element-wise activation layer.</summary>
public sealed class Activation(string name, ActivationKind kind,
    float slope = Optim.UpdateRules.DefaultLeakySlope) : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
    [
        new() { Name = "relu", Summary = "max(0, x)", Create = a => new Activation(a.Name, ActivationKind.Relu) },
        new()
        {
            Name = "leaky_relu",
            Summary = "x, or slope · x below 0",
            Settings = [new("slope", "a number", Optim.UpdateRules.DefaultLeakySlope.ToString(
                System.Globalization.CultureInfo.InvariantCulture), "the slope below 0")],
            Create = a => new Activation(a.Name, ActivationKind.LeakyRelu, a.Float("slope")),
        },
        new() { Name = "sigmoid", Summary = "1 / (1 + e^-x)",
            Create = a => new Activation(a.Name, ActivationKind.Sigmoid) },
        new() { Name = "tanh", Summary = "tanh x", Create = a => new Activation(a.Name, ActivationKind.Tanh) },
    ];

    private Tensor? _x, _yOut;

    public ActivationKind Function => kind;
    /// <summary>
    /// A ReLU whose input the layer before already rectified (a convolution's ReLU epilogue): forward passes the
    /// input on; backward is unchanged (its mask, y &gt; 0, reads the same values).
    /// </summary>
    internal bool Absorbed { get; set; }
    /// <summary>Slope of the leaky ReLU for negative inputs.</summary>
    public float Slope => slope;
    public override string Kind => kind.ToString();
    protected override int[] SetupInternal(int[] s) => s;

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        if (Absorbed) return _yOut = x;
        var y = Output(x.Shape[0]);
        if (y.Rank != x.Rank) y = y.View(x.Shape);
        switch (kind)
        {
            case ActivationKind.Relu: Accelerator.ReluForward(x, y); break;
            case ActivationKind.LeakyRelu: Accelerator.LeakyReluForward(x, y, slope); break;
            case ActivationKind.Sigmoid: Accelerator.SigmoidForward(x, y); break;
            case ActivationKind.Tanh: Accelerator.TanhForward(x, y); break;
        }
        return _yOut = y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        var dx = InputGradient(dy.Shape[0]);
        switch (kind)
        {
            case ActivationKind.Relu: Accelerator.ReluBackward(_yOut!, dy, dx); break;
            case ActivationKind.LeakyRelu: Accelerator.LeakyReluBackward(_x!, dy, dx, slope); break;
            case ActivationKind.Sigmoid: Accelerator.SigmoidBackward(_yOut!, dy, dx); break;
            case ActivationKind.Tanh: Accelerator.TanhBackward(_yOut!, dy, dx); break;
        }
        return dx;
    }
}

/// <summary>
/// Inverted dropout: at training time keeps each unit with probability 1 − p and scales it by 1/(1 − p).
/// </summary>
/// <remarks>A tower of a split model holding columns [rowOffset, rowOffset + width) of a globalRow-wide activation
/// passes them so its masks are exactly the undivided layer's.</remarks>
public sealed class Dropout(string name, float p, uint seed, int rowOffset = 0, int globalRow = 0)
    : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "dropout",
            Summary = "inverted dropout in training, the identity in evaluation",
            Settings =
            [
                new("p", "a number in [0, 1)", "0.5", "the probability of dropping a unit"),
                new("seed", "a non-negative integer", "its place",
                    "the masks' seed (default: the layer's place, from 1)"),
            ],
            Create = a => new Dropout(a.Name, a.Float("p", 0f, 1f, maxExclusive: true),
                a.Has("seed") ? (uint)a.Int("seed", 0) : (uint)(a.Index + 1)),
        },
    ];

    /// <summary>The probability of dropping a unit.</summary>
    public float P => p;
    /// <summary>The masks' seed.</summary>
    public uint Seed => seed;

    private Tensor? _mask;
    private bool _training;

    public override string Kind => "Dropout";
    public override string Details => $"p={p}";
    protected override int[] SetupInternal(int[] s) => s;

    public override Tensor Forward(Tensor x, bool training)
    {
        _training = training;
        if (!training) return x;
        var y = Output(x.Shape[0]);
        var mask = Buffer(ref _mask, x.Shape[0], OutputShape);
        int width = x.Length / x.Shape[0];
        uint draw = unchecked(seed * 0x9E3779B9u + (uint)Step * 0x85EBCA6Bu + (uint)(Step >> 32));
        Accelerator.DropoutForward(x, y, mask, p, draw, globalRow > 0
            ? new DropoutIndexing(width, rowOffset, globalRow, FirstSample)
            : FirstSample > 0 ? new DropoutIndexing(width, 0, width, FirstSample) : null);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        if (!_training) return dy;
        var dx = InputGradient(dy.Shape[0]);
        Accelerator.DropoutBackward(dy, Buffer(ref _mask, dy.Shape[0], OutputShape), dx);
        return dx;
    }

    public override void Dispose() { Free(ref _mask); base.Dispose(); }
}

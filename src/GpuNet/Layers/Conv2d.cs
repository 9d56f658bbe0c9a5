using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>2-D convolution with bias: (C, H, W) → (K, OH, OW), filters (K, C/groups, R, S).</summary>
public sealed class Conv2d(string name, int filters, int kernel, int stride = 1, int padding = 0,
    int groups = 1, bool bias = true) : BufferedLayer(name), IDescribedLayer
{
    private Conv2dGeometry _g;
    private Tensor? _x;
    public Parameter Weight { get; private set; } = null!;
    /// <summary>The bias (K), or null for a convolution without one (<c>bias: false</c>, before batch norm).</summary>
    public Parameter? Bias { get; private set; }
    /// <summary>Whether the layer adds a bias.</summary>
    public bool HasBias => bias;
    /// <summary>Output channels K.</summary>
    public int Filters => filters;
    /// <summary>Channel groups: filter k sees input channels of group k / (K / Groups) only.</summary>
    public int Groups => groups;
    /// <summary>Square kernel size R = S.</summary>
    public int Kernel => kernel;
    /// <summary>Stride in both directions.</summary>
    public int Stride => stride;
    /// <summary>Zero padding on every side.</summary>
    public int Padding => padding;

    /// <summary>
    /// Whether the forward pass ends in ReLU: set by the model where a ReLU layer is the only reader of this output
    /// (which then passes it on instead of computing its own; see <see cref="Activation.Absorbed"/>).
    /// </summary>
    internal bool FusedRelu { get; set; }

    public override string Kind => "Conv2d";
    public override string Details => $"{filters}@{kernel}x{kernel} s{stride} p{padding}"
        + (groups > 1 ? $" g{groups}" : "") + (bias ? "" : " no bias");
    public override long MultiplyAccumulates => (long)Weight.Data.Length * OutputShape[1] * OutputShape[2];

    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "conv",
            Summary = "2-D convolution: (C, H, W) → (filters, OH, OW), optionally grouped",
            Settings =
            [
                new("filters", "a positive integer or 'classes'", null, "output channels"),
                new("kernel", "a positive integer", null, "square kernel size"),
                new("stride", "a positive integer", "1", "stride in both directions"),
                new("padding", "a non-negative integer", "0", "zero padding on every side"),
                new("groups", "a positive integer", "1", "channel groups (AlexNet's towers: 2)"),
                new("bias", "true or false", "true", "whether the layer adds a bias"),
                new("weight_init", InitSpecKind, "--init", "the filters' initialiser"),
                new("bias_init", InitSpecKind, "--init", "the bias's initialiser"),
            ],
            Create = a => WithInit(a, new Conv2d(a.Name, a.Int("filters", 1, allowClasses: true), a.Int("kernel", 1),
                a.Int("stride", 1), a.Int("padding", 0), a.Int("groups", 1), a.Bool("bias"))),
        },
    ];

    internal const string InitSpecKind = "uniform, xavier, he, gaussian:STD, constant:VALUE or a number";

    /// <summary>The layer with its description's weight_init and bias_init.</summary>
    internal static T WithInit<T>(LayerArgs a, T layer) where T : Layer
    {
        if (a.Init("weight_init") is { } w) layer.ParameterInit["weight"] = w;
        if (a.Init("bias_init") is { } b) layer.ParameterInit["bias"] = b;
        return layer;
    }

    private Conv2dGeometry Geometry(int n) => new(n, InputShape[0], InputShape[1], InputShape[2], filters, kernel,
        kernel, stride, stride, padding, padding, groups);

    protected override int[] SetupInternal(int[] s)
    {
        if (s.Length != 3) throw new ArgumentException($"a convolution needs (C, H, W) input, got {Shapes.Format(s)}");
        var g = Geometry(1);
        g.Validate();
        int fanIn = g.Cg * kernel * kernel;
        Weight = AddParameter("weight", ParameterRole.Weight, g.FilterShape, true, fanIn, g.Kg * kernel * kernel);
        if (bias) Bias = AddParameter("bias", ParameterRole.Bias, [filters], true, fanIn, 1);
        return [filters, g.OutH, g.OutW];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        _g = Geometry(x.Shape[0]);
        var y = Output(_g.N);
        Accelerator.Conv2dForward(x, Weight.Data, Bias?.Data, y, _g, relu: FusedRelu);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        Accelerator.Conv2dBackwardFilter(_x!, dy, Weight.Grad!, Bias?.Grad, _g);
        if (!PropagateDown) return null;
        var dx = InputGradient(_g.N);
        Accelerator.Conv2dBackwardData(dy, Weight.Data, dx, _g);
        return dx;
    }
}

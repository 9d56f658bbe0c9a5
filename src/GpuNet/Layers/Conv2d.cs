using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>2-D convolution with bias: (C, H, W) → (K, OH, OW), filters (K, C/groups, R, S).</summary>
public sealed class Conv2d(string name, int filters, int kernel, int stride = 1, int padding = 0,
    int groups = 1) : BufferedLayer(name)
{
    private Conv2dGeometry _g;
    private Tensor? _x;
    public Parameter Weight { get; private set; } = null!;
    public Parameter Bias { get; private set; } = null!;
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
    /// Whether the forward pass ends in ReLU: set by the model where a ReLU layer follows (which then passes this
    /// output on instead of computing its own; see <see cref="Activation.Absorbed"/>).
    /// </summary>
    internal bool FusedRelu { get; set; }

    public override string Kind => "Conv2d";
    public override string Details => $"{filters}@{kernel}x{kernel} s{stride} p{padding}"
        + (groups > 1 ? $" g{groups}" : "");

    private Conv2dGeometry Geometry(int n) => new(n, InputShape[0], InputShape[1], InputShape[2], filters, kernel,
        kernel, stride, stride, padding, padding, groups);

    protected override int[] SetupInternal(int[] s)
    {
        if (s.Length != 3) throw new ArgumentException($"{Name}: Conv2d needs (C, H, W) input, got {Shapes.Format(s)}");
        var g = Geometry(1);
        g.Validate();
        int fanIn = g.Cg * kernel * kernel;
        Weight = AddParameter("weight", ParameterRole.Weight, g.FilterShape, true, fanIn, g.Kg * kernel * kernel);
        Bias = AddParameter("bias", ParameterRole.Bias, [filters], true, fanIn, 1);
        return [filters, g.OutH, g.OutW];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        _g = Geometry(x.Shape[0]);
        var y = Output(_g.N);
        Accelerator.Conv2dForward(x, Weight.Data, Bias.Data, y, _g, relu: FusedRelu);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        Accelerator.Conv2dBackwardFilter(_x!, dy, Weight.Grad!, Bias.Grad, _g);
        if (!PropagateDown) return null;
        var dx = InputGradient(_g.N);
        Accelerator.Conv2dBackwardData(dy, Weight.Data, dx, _g);
        return dx;
    }
}

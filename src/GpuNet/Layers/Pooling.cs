using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>
/// Max or average pooling over k×k windows with a stride (AlexNet's overlapping pooling: k 3, stride 2).
/// </summary>
public sealed class Pool2d(string name, bool max, int kernel, int stride, int padding = 0)
    : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types => [Type("maxpool", true), Type("avgpool", false)];

    private static LayerType Type(string name, bool max) => new()
    {
        Name = name,
        Summary = max ? "max pooling over k×k windows (overlapping when stride < kernel)"
            : "average pooling over k×k windows (padded cells count in the divisor)",
        Settings =
        [
            new("kernel", "a positive integer", null, "square window size"),
            new("stride", "a positive integer", "kernel", "stride in both directions (default: the kernel size)"),
            new("padding", "a non-negative integer below kernel", "0", "padding on every side"),
        ],
        Create = a =>
        {
            int k = a.Int("kernel", 1);
            return new Pool2d(a.Name, max, k, a.Has("stride") ? a.Int("stride", 1) : k, a.Int("padding", 0));
        },
    };

    private Pool2dGeometry _g;
    private Tensor? _x, _argmax, _indices;

    /// <summary>Max pooling (else average pooling, which counts padded cells in its divisor).</summary>
    public bool IsMax => max;
    /// <summary>Square window size.</summary>
    public int Kernel => kernel;
    /// <summary>Stride in both directions.</summary>
    public int Stride => stride;
    /// <summary>Padding on every side (floor mode: windows never start in the bottom or right padding).</summary>
    public int Padding => padding;
    public override string Kind => max ? "MaxPool2d" : "AvgPool2d";
    public override string Details => $"{kernel}x{kernel} s{stride}" + (padding > 0 ? $" p{padding}" : "");

    private Pool2dGeometry Geometry(int n) =>
        new(n, InputShape[0], InputShape[1], InputShape[2], kernel, kernel, stride, stride, padding, padding);

    protected override int[] SetupInternal(int[] s)
    {
        if (s.Length != 3)
            throw new ArgumentException($"pooling needs (C, H, W) input, got {Shapes.Format(s)}");
        var g = Geometry(1);
        g.Validate();
        return [s[0], g.OutH, g.OutW];
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        _g = Geometry(x.Shape[0]);
        var y = Output(_g.N);
        if (!max) Accelerator.AvgPool2dForward(x, y, _g);
        // training keeps each cell's maximum (one index per output) so backward need not search the windows again
        else Accelerator.MaxPool2dForward(x, y, _g,
            _argmax = training ? Buffer(ref _indices, _g.N, OutputShape) : null);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        var dx = InputGradient(_g.N);
        if (max) Accelerator.MaxPool2dBackward(_x!, dy, dx, _g, _argmax);
        else Accelerator.AvgPool2dBackward(dy, dx, _g);
        return dx;
    }

    public override void Dispose() { Free(ref _indices); base.Dispose(); }
}

/// <summary>Global average pooling: (C, H, W) → (C).</summary>
public sealed class GlobalAvgPool(string name) : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "global_avgpool", Summary = "the mean of each channel: (C, H, W) → (C)",
            Create = a => new GlobalAvgPool(a.Name),
        },
    ];

    public override string Kind => "GlobalAvgPool";

    protected override int[] SetupInternal(int[] s) => s.Length == 3 ? [s[0]]
        : throw new ArgumentException($"global average pooling needs (C, H, W) input, got {Shapes.Format(s)}");

    public override Tensor Forward(Tensor x, bool training)
    {
        var y = Output(x.Shape[0]);
        Accelerator.GlobalAvgPoolForward(x, y);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        var dx = InputGradient(dy.Shape[0]);
        Accelerator.GlobalAvgPoolBackward(dy, dx);
        return dx;
    }
}

/// <summary>Reshapes (C, H, W) to (C·H·W) without copying.</summary>
public sealed class Flatten(string name) : Layer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
        [new() { Name = "flatten", Summary = "(C, H, W) → (C·H·W), no copy", Create = a => new Flatten(a.Name) }];

    public override string Kind => "Flatten";
    protected override int[] SetupInternal(int[] s) => [Shapes.Product(s)];
    public override Tensor Forward(Tensor x, bool training) => x.View(x.Shape[0], OutputShape[0]);
    public override Tensor? Backward(Tensor dy) => PropagateDown ? dy.View([dy.Shape[0], .. InputShape]) : null;
}

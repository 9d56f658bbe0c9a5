using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>
/// A layer reading two or more inputs (a graph's join): set up with every input's shape, forward over all of them,
/// backward giving one gradient per input. The executor (<see cref="Models.Model"/>) sums the gradients of a tensor
/// that several layers read.
/// </summary>
public abstract class MergeLayer(string name) : BufferedLayer(name)
{
    private IReadOnlyList<int[]> _shapes = [];

    /// <summary>Every input's per-sample shape, in order.</summary>
    public IReadOnlyList<int[]> InputShapes => _shapes;

    /// <summary>
    /// Binds the layer to an accelerator and its inputs' shapes (named by <paramref name="names"/> in errors); returns
    /// the output shape.
    /// </summary>
    public int[] Setup(Accelerator accelerator, IReadOnlyList<int[]> shapes, IReadOnlyList<string> names)
    {
        if (shapes.Count < 2)
            throw new ArgumentException($"{Kind} reads at least two inputs, got {shapes.Count}");
        _shapes = shapes.Select(s => (int[])s.Clone()).ToList();
        Names = names;
        return Setup(accelerator, shapes[0]);
    }

    /// <summary>The inputs' names, for messages.</summary>
    protected IReadOnlyList<string> Names { get; private set; } = [];

    /// <summary>xs[i]: (N, …InputShapes[i]) → y: (N, …OutputShape), owned by the layer.</summary>
    public abstract Tensor Forward(IReadOnlyList<Tensor> xs, bool training);

    /// <summary>dy: (N, …OutputShape) → the gradient of each input (tensors the caller must not write).</summary>
    public abstract IReadOnlyList<Tensor> BackwardAll(Tensor dy);

    public sealed override Tensor Forward(Tensor x, bool training) =>
        throw new InvalidOperationException($"{Name} ({Kind}) reads {_shapes.Count} inputs");

    public sealed override Tensor? Backward(Tensor dy) =>
        throw new InvalidOperationException($"{Name} ({Kind}) gives one gradient per input: call BackwardAll");

    protected string Described(int i) => $"{Shapes.Format(_shapes[i])} from '{(i < Names.Count ? Names[i] : $"#{i}")}'";
}

/// <summary>Element-wise sum of two or more inputs of one shape: y = Σ xᵢ (a residual connection).</summary>
public sealed class Add(string name) : MergeLayer(name), IDescribedLayer
{
    private Tensor[] _dxs = [];

    public override string Kind => "Add";

    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "add", Summary = "element-wise sum of two or more inputs of the same shape (residual connections)",
            MinInputs = 2, MaxInputs = int.MaxValue, Create = a => new Add(a.Name),
        },
    ];

    protected override int[] SetupInternal(int[] s)
    {
        for (int i = 1; i < InputShapes.Count; i++)
            if (!Shapes.Equal(InputShapes[i], s))
                throw new ArgumentException($"add needs inputs of one shape, got {Described(0)} and {Described(i)}");
        return s;
    }

    public override Tensor Forward(IReadOnlyList<Tensor> xs, bool training)
    {
        var y = Output(xs[0].Shape[0]);
        if (y.Rank != xs[0].Rank) y = y.View(xs[0].Shape);
        Accelerator.Copy(xs[0], y);
        for (int i = 1; i < xs.Count; i++) Accelerator.Axpy(1f, xs[i], y);
        return y;
    }

    // ∂y/∂xᵢ = 1: every input's gradient is dy itself
    public override IReadOnlyList<Tensor> BackwardAll(Tensor dy)
    {
        if (_dxs.Length != InputShapes.Count) _dxs = new Tensor[InputShapes.Count];
        Array.Fill(_dxs, dy);
        return _dxs;
    }
}

/// <summary>
/// Concatenation along channels: inputs (Cᵢ, H, W) of equal H and W → (ΣCᵢ, H, W); (Fᵢ) → (ΣFᵢ) (Inception modules).
/// </summary>
public sealed class Concat(string name) : MergeLayer(name), IDescribedLayer
{
    private Tensor?[] _parts = [];
    private Tensor[] _dxs = [];

    public override string Kind => "Concat";

    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "concat", Summary = "concatenation along channels of inputs whose other dimensions agree",
            MinInputs = 2, MaxInputs = int.MaxValue, Create = a => new Concat(a.Name),
        },
    ];

    protected override int[] SetupInternal(int[] s)
    {
        int channels = 0;
        for (int i = 0; i < InputShapes.Count; i++)
        {
            var si = InputShapes[i];
            if (si.Length != s.Length || !Shapes.Equal(si.AsSpan(1), s.AsSpan(1)))
                throw new ArgumentException("concat joins inputs along channels, so every other dimension must " +
                    $"agree; got {Described(0)} and {Described(i)}");
            channels += si[0];
        }
        _parts = new Tensor?[InputShapes.Count];
        return [channels, .. s.AsSpan(1)];
    }

    // x_i: (N, C_i, …) is row block [offset_i, offset_i + C_i·inner) of each of y's N rows
    public override Tensor Forward(IReadOnlyList<Tensor> xs, bool training)
    {
        int n = xs[0].Shape[0], row = Shapes.Product(OutputShape), offset = 0;
        var y = Output(n);
        for (int i = 0; i < xs.Count; i++)
        {
            int part = Shapes.Product(InputShapes[i]);
            Accelerator.CopyRows(xs[i], 0, part, y, offset, row, n, part);
            offset += part;
        }
        return y;
    }

    public override IReadOnlyList<Tensor> BackwardAll(Tensor dy)
    {
        int n = dy.Shape[0], row = Shapes.Product(OutputShape), offset = 0;
        if (_dxs.Length != InputShapes.Count) _dxs = new Tensor[InputShapes.Count];
        var dxs = _dxs;
        for (int i = 0; i < dxs.Length; i++)
        {
            int part = Shapes.Product(InputShapes[i]);
            var dx = Buffer(ref _parts[i], n, InputShapes[i]);
            Accelerator.CopyRows(dy, offset, row, dx, 0, part, n, part);
            dxs[i] = dx;
            offset += part;
        }
        return dxs;
    }

    public override void Dispose()
    {
        for (int i = 0; i < _parts.Length; i++) Free(ref _parts[i]);
        base.Dispose();
    }
}

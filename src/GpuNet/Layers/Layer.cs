using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>
/// A layer in Caffe's contract: <see cref="Setup"/> fixes shapes and allocates parameters on one accelerator,
/// <see cref="Forward"/> maps bottom to top, <see cref="Backward"/> maps the top gradient to the bottom gradient and
/// writes parameter gradients. Shapes exclude the batch dimension. Layers call the accelerator's op set only:
/// they never know which backend runs them.
/// </summary>
public abstract class Layer : IDisposable
{
    private readonly List<Parameter> _parameters = [];

    protected Layer(string name) => Name = name;

    public string Name { get; }
    /// <summary>Layer type as shown by <c>gpunet summary</c>.</summary>
    public abstract string Kind { get; }
    public Accelerator Accelerator { get; private set; } = null!;
    public int[] InputShape { get; private set; } = [];
    public int[] OutputShape { get; private set; } = [];
    public IReadOnlyList<Parameter> Parameters => _parameters;
    /// <summary>False for the first layer: nothing needs the gradient of the input images.</summary>
    public bool PropagateDown { get; set; } = true;
    /// <summary>Global training step, set by the model before each forward (dropout seeds derive from it).</summary>
    public long Step { get; set; }
    /// <summary>
    /// Where this batch's first sample sits in the global batch, set by the model before each forward: 0 alone; a
    /// data-parallel rank's offset, so per-sample random draws (dropout masks) are a single process's.
    /// </summary>
    public int FirstSample { get; set; }
    /// <summary>Short description of the configuration, e.g. <c>5x5 s1 p0</c>.</summary>
    public virtual string Details => "";
    /// <summary>
    /// Multiply-accumulates of one sample's forward pass (convolutions and dense layers; 0 for the rest).
    /// </summary>
    public virtual long MultiplyAccumulates => 0;
    /// <summary>
    /// Initialisers by parameter suffix (<c>weight</c>, <c>bias</c>) from the layer's description, given to its
    /// parameters as <see cref="Parameter.Init"/>; a parameter without one takes the run's scheme.
    /// </summary>
    public Dictionary<string, Models.InitSpec> ParameterInit { get; } = [];

    /// <summary>Binds the layer to an accelerator and input shape; returns the output shape (per sample).</summary>
    public int[] Setup(Accelerator accelerator, int[] inputShape)
    {
        Accelerator = accelerator;
        InputShape = (int[])inputShape.Clone();
        OutputShape = SetupInternal(inputShape);
        return OutputShape;
    }

    protected abstract int[] SetupInternal(int[] inputShape);

    /// <summary>x: (N, …InputShape) → y: (N, …OutputShape). The returned tensor belongs to the layer.</summary>
    public abstract Tensor Forward(Tensor x, bool training);

    /// <summary>
    /// dy: (N, …OutputShape) → dx: (N, …InputShape), or null when <see cref="PropagateDown"/> is false.
    /// </summary>
    public abstract Tensor? Backward(Tensor dy);

    protected Parameter AddParameter(string suffix, ParameterRole role, int[] shape, bool trainable, int fanIn,
        int fanOut)
    {
        var p = new Parameter($"{Name}.{suffix}", role, Accelerator.Zeros(shape), trainable, fanIn, fanOut)
        {
            Init = ParameterInit.TryGetValue(suffix, out var init) ? init : null,
        };
        _parameters.Add(p);
        return p;
    }

    /// <summary>
    /// A (n, …perSample) tensor backed by <paramref name="storage"/>, which grows when a larger batch arrives,
    /// so steady-state training allocates nothing.
    /// </summary>
    protected Tensor Buffer(ref Tensor? storage, int n, int[] perSample)
    {
        int[] shape = [n, .. perSample];
        if (storage is null || storage.Shape[0] < n)
        {
            storage?.Dispose();
            storage = Accelerator.Allocate(shape);
            return storage;
        }
        return storage.Shape[0] == n ? storage : storage.Slice(0, shape);
    }

    public virtual void Dispose()
    {
        foreach (var p in _parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static void Free(ref Tensor? t) { t?.Dispose(); t = null; }
}

/// <summary>A layer with one output buffer and one input-gradient buffer, sized per batch.</summary>
public abstract class BufferedLayer(string name) : Layer(name)
{
    protected Tensor? _y, _dx;

    protected Tensor Output(int n) => Buffer(ref _y, n, OutputShape);
    protected Tensor InputGradient(int n) => Buffer(ref _dx, n, InputShape);

    public override void Dispose() { Free(ref _y); Free(ref _dx); base.Dispose(); }
}

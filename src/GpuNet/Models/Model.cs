using GpuNet.Layers;
using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>A layer whose inputs do not fit it (a shape, a kernel larger than its input): names the layer.</summary>
public sealed class LayerSetupException(int layer, string message, ArgumentException inner)
    : ArgumentException(message, inner)
{
    /// <summary>The layer's place in the model.</summary>
    public int Layer { get; } = layer;
    /// <summary>What is wrong, without the layer's name.</summary>
    public string Problem => InnerException!.Message;
}

/// <summary>
/// A network on one accelerator: a graph of layers in topological order, each reading the network's input or earlier
/// layers' outputs; the last layer's output is the network's. Forward runs the layers in order, backward in reverse,
/// summing the gradients of an output that several layers read. A chain (every layer reading the one before) is the
/// special case. Owns its layers and their parameters.
/// </summary>
public sealed class Model : INetwork
{
    /// <summary>Where a layer's input comes from: the network's input.</summary>
    public const int NetworkInput = -1;

    private readonly List<Layer> _layers = [];
    private readonly int[][] _inputs;          // per layer: indices of the layers it reads (NetworkInput: the input)
    private readonly int[] _readers;           // per layer: how many inputs of later layers read its output
    private readonly Tensor?[] _outputs;       // this forward pass's output of each layer
    private readonly Tensor?[] _grads;         // during backward: the gradient of each layer's output so far
    private readonly bool[] _owned;            // _grads[i] is _sums[i] (a sum this model owns), not a layer's tensor
    private readonly Tensor?[] _sums;          // per layer read more than once: where its gradients are summed
    private readonly Tensor[]?[] _mergeInputs; // per merge layer: its inputs of this forward pass
    private readonly bool _propagateToInput;
    private Tensor? _inputGrad;

    /// <summary>
    /// A chain: each layer reads the one before (the first reads the input). With propagateToInput, backward also
    /// returns the input's gradient (a stage inside a larger graph).
    /// </summary>
    public Model(string name, Accelerator accelerator, int[] inputShape, IEnumerable<Layer> layers,
        bool propagateToInput = false)
        : this(name, accelerator, inputShape, layers.Select((l, i) => (l, new[] { i - 1 })), propagateToInput)
    {
    }

    /// <summary>
    /// A graph: each layer with the indices of the layers it reads (<see cref="NetworkInput"/> for the input), all
    /// earlier in the list. Sets the layers up in order; a shape that does not fit is an
    /// <see cref="ArgumentException"/> naming the layer.
    /// </summary>
    public Model(string name, Accelerator accelerator, int[] inputShape,
        IEnumerable<(Layer Layer, int[] Inputs)> graph, bool propagateToInput = false,
        NetworkDescription? description = null)
    {
        Name = name;
        Accelerator = accelerator;
        InputShape = inputShape;
        Description = description;
        _propagateToInput = propagateToInput;
        var nodes = graph.ToList();
        _inputs = new int[nodes.Count][];
        _readers = new int[nodes.Count];
        var shapes = new int[nodes.Count][];
        for (int i = 0; i < nodes.Count; i++)
        {
            var (layer, inputs) = nodes[i];
            if (inputs.Length == 0 || inputs.Any(j => j < NetworkInput || j >= i))
                throw new ArgumentException($"layer '{layer.Name}' of {name} must read the input or earlier layers, " +
                    $"got [{string.Join(", ", inputs)}] at place {i}");
            _inputs[i] = (int[])inputs.Clone();
            foreach (int j in inputs) if (j >= 0) _readers[j]++;
            var inShapes = inputs.Select(j => j == NetworkInput ? inputShape : shapes[j]).ToList();
            try
            {
                shapes[i] = layer is MergeLayer merge
                    ? merge.Setup(accelerator, inShapes, inputs.Select(j => j == NetworkInput ? "input"
                        : nodes[j].Layer.Name).ToList())
                    : inputs.Length == 1 ? layer.Setup(accelerator, inShapes[0])
                    : throw new ArgumentException($"{layer.Kind} reads one input, got {inputs.Length}");
            }
            catch (ArgumentException e) when (e is not NetworkFileException and not LayerSetupException)
            {
                throw new LayerSetupException(i, $"layer '{layer.Name}' ({layer.Kind}) of {name}: {e.Message}", e);
            }
            _layers.Add(layer);
            // nothing needs the gradient of the input images, unless this model is a stage of a larger graph
            layer.PropagateDown = propagateToInput || inputs.Any(j => j != NetworkInput);
        }
        OutputShape = nodes.Count > 0 ? shapes[^1] : inputShape;
        _outputs = new Tensor?[nodes.Count];
        _grads = new Tensor?[nodes.Count];
        _owned = new bool[nodes.Count];
        _sums = new Tensor?[nodes.Count];
        _mergeInputs = new Tensor[]?[nodes.Count];
        FuseRelu(true);
    }

    /// <summary>
    /// Gives every convolution whose only reader is a ReLU layer the ReLU as its forward epilogue (on, the default) or
    /// takes it back (tests compare the two). The layers stay as they are for export, summaries and checkpoints.
    /// </summary>
    internal void FuseRelu(bool on)
    {
        for (int i = 0; i < _layers.Count; i++)
            if (_layers[i] is Activation { Function: ActivationKind.Relu } relu && _inputs[i] is [int j and >= 0]
                && _layers[j] is Conv2d conv && _readers[j] == 1)
                (conv.FusedRelu, relu.Absorbed) = (on, on);
    }

    public string Name { get; }
    public Accelerator Accelerator { get; }
    /// <summary>The description the model was built from (null for a model assembled from layers in C#).</summary>
    public NetworkDescription? Description { get; }
    /// <summary>Per-sample input shape, e.g. (1, 32, 32) for LeNet-5.</summary>
    public int[] InputShape { get; }
    public int[] OutputShape { get; }
    public int Classes => OutputShape[0];
    /// <summary>The layers in topological order (the order they run forward).</summary>
    public IReadOnlyList<Layer> Layers => _layers;
    /// <summary>What layer i reads: indices of earlier layers, or <see cref="NetworkInput"/>.</summary>
    public IReadOnlyList<int> InputsOf(int i) => _inputs[i];
    /// <summary>Every parameter and buffer, in layer order.</summary>
    public IEnumerable<Parameter> Parameters => _layers.SelectMany(l => l.Parameters);
    /// <summary>Trainable parameter count (running statistics excluded).</summary>
    public long ParameterCount => Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length);

    /// <summary>Global step, passed to layers that draw random numbers (dropout).</summary>
    public long Step { get; set; }
    /// <summary>The batch's first sample's place in the global batch (see <see cref="Layer.FirstSample"/>).</summary>
    public int FirstSample { get; set; }

    /// <summary>x: (N, …InputShape) → the last layer's output (N, …OutputShape), which belongs to that layer.</summary>
    public Tensor Forward(Tensor x, bool training)
    {
        if (!Shapes.Equal(x.Shape.AsSpan(1), InputShape))
            throw new ArgumentException(
                $"model {Name} takes input (N, {string.Join(", ", InputShape)}), got {Shapes.Format(x.Shape)}");
        for (int i = 0; i < _layers.Count; i++)
        {
            var layer = _layers[i];
            layer.Step = Step;
            layer.FirstSample = FirstSample;
            var inputs = _inputs[i];
            if (layer is MergeLayer merge)
            {
                // the merge's inputs in a reused array: no allocation per batch
                var xs = _mergeInputs[i] ??= new Tensor[inputs.Length];
                for (int k = 0; k < inputs.Length; k++) xs[k] = inputs[k] == NetworkInput ? x : _outputs[inputs[k]]!;
                _outputs[i] = merge.Forward(xs, training);
            }
            else _outputs[i] = layer.Forward(inputs[0] == NetworkInput ? x : _outputs[inputs[0]]!, training);
        }
        return _layers.Count > 0 ? _outputs[^1]! : x;
    }

    /// <summary>
    /// Back-propagates the gradient of the loss with respect to the output, filling every parameter's Grad; returns the
    /// gradient of the input when the model was built with propagateToInput. <paramref name="gradientsReady"/> is
    /// called after each layer that has parameters, with them (see <see cref="INetwork.Backward"/>).
    /// </summary>
    public Tensor? Backward(Tensor dlogits, Action<IReadOnlyList<Parameter>>? gradientsReady = null)
    {
        if (_layers.Count == 0) return dlogits;
        Array.Clear(_grads);
        Array.Clear(_owned);
        _inputGrad = null;
        _grads[^1] = dlogits;
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            var layer = _layers[i];
            var dy = _grads[i];
            _grads[i] = null;
            if (dy is null) continue;   // nothing after it reaches the loss
            if (layer is MergeLayer merge)
            {
                var dxs = merge.BackwardAll(dy);
                for (int k = 0; k < dxs.Count; k++) Contribute(_inputs[i][k], dxs[k]);
            }
            else Contribute(_inputs[i][0], layer.Backward(dy));
            if (gradientsReady is not null && layer.Parameters.Count > 0) gradientsReady(layer.Parameters);
        }
        return _inputGrad;
    }

    // Adds dx to the gradient of layer j's output (or the input's). The first contribution is kept as it is; a second
    // starts a sum in a buffer of this model's, since the tensors layers return are theirs and are read elsewhere.
    private void Contribute(int j, Tensor? dx)
    {
        if (dx is null) return;
        if (j == NetworkInput)
        {
            if (!_propagateToInput) return;
            if (_inputGrad is null) { _inputGrad = dx; return; }
            throw new NotSupportedException($"model {Name}: the input is read by several layers of a stage");
        }
        if (_grads[j] is null) { _grads[j] = dx; return; }
        if (!_owned[j])
        {
            var sum = _sums[j];
            if (sum is null || sum.Shape[0] < dx.Shape[0])
            {
                sum?.Dispose();
                _sums[j] = sum = Accelerator.Allocate(dx.Shape);
            }
            var target = sum.Shape[0] == dx.Shape[0] ? sum : sum.Slice(0, dx.Shape);
            if (target.Rank != dx.Rank) target = target.View(dx.Shape);
            Accelerator.Copy(_grads[j]!, target);
            _grads[j] = target;
            _owned[j] = true;
        }
        Accelerator.Axpy(1f, dx, _grads[j]!);
    }

    private Tensor? _input;

    public IReadOnlyList<Accelerator> Devices => [Accelerator];
    public Accelerator OutputDevice => Accelerator;

    /// <summary>
    /// Copies a host batch into a reused input buffer on the device and runs <see cref="Forward(Tensor, bool)"/>.
    /// </summary>
    public Tensor Forward(ReadOnlySpan<float> input, int n, bool training)
    {
        if (_input is null || _input.Shape[0] < n)
        {
            _input?.Dispose();
            _input = Accelerator.Allocate([n, .. InputShape]);
        }
        var x = _input.Shape[0] == n ? _input : _input.Slice(0, [n, .. InputShape]);
        x.CopyFrom(input[..x.Length]);
        return Forward(x, training);
    }

    void INetwork.Backward(Tensor dlogits, Action<IReadOnlyList<Parameter>>? gradientsReady) =>
        Backward(dlogits, gradientsReady);

    public (string Name, int[] Shape, long Offset) Layout(Parameter p) => (p.Name, p.Data.Shape, 0);

    public void Dispose()
    {
        _input?.Dispose();
        foreach (var s in _sums) s?.Dispose();
        foreach (var layer in _layers) layer.Dispose();
    }
}

using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// A chain of layers on one accelerator: the forward pass runs them in order, the backward pass in reverse.
/// Owns its layers and their parameters.
/// </summary>
public sealed class Model : INetwork
{
    private readonly List<Layer> _layers = [];

    /// <summary>
    /// Sets the layers up in order on the accelerator; with propagateToInput, backward also returns the input's
    /// gradient (a stage inside a larger graph).
    /// </summary>
    public Model(string name, Accelerator accelerator, int[] inputShape, IEnumerable<Layer> layers,
        bool propagateToInput = false)
    {
        Name = name;
        Accelerator = accelerator;
        InputShape = inputShape;
        int[] shape = inputShape;
        foreach (var layer in layers)
        {
            shape = layer.Setup(accelerator, shape);
            _layers.Add(layer);
        }
        if (_layers.Count > 0) _layers[0].PropagateDown = propagateToInput;
        OutputShape = shape;
        FuseRelu(true);
    }

    /// <summary>
    /// Gives every convolution followed by a ReLU layer the ReLU as its forward epilogue (on, the default) or takes it
    /// back (tests compare the two). The layers stay as they are for export, summaries and checkpoints.
    /// </summary>
    internal void FuseRelu(bool on)
    {
        for (int i = 0; i + 1 < _layers.Count; i++)
            if (_layers[i] is Conv2d conv && _layers[i + 1] is Activation { Function: ActivationKind.Relu } relu)
                (conv.FusedRelu, relu.Absorbed) = (on, on);
    }

    public string Name { get; }
    public Accelerator Accelerator { get; }
    /// <summary>Per-sample input shape, e.g. (1, 32, 32) for LeNet-5.</summary>
    public int[] InputShape { get; }
    public int[] OutputShape { get; }
    public int Classes => OutputShape[0];
    public IReadOnlyList<Layer> Layers => _layers;
    /// <summary>Every parameter and buffer, in layer order.</summary>
    public IEnumerable<Parameter> Parameters => _layers.SelectMany(l => l.Parameters);
    /// <summary>Trainable parameter count (running statistics excluded).</summary>
    public long ParameterCount => Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length);

    /// <summary>Global step, passed to layers that draw random numbers (dropout).</summary>
    public long Step { get; set; }
    /// <summary>The batch's first sample's place in the global batch (see <see cref="Layer.FirstSample"/>).</summary>
    public int FirstSample { get; set; }

    /// <summary>x: (N, …InputShape) → logits (N, Classes). The result belongs to the last layer.</summary>
    public Tensor Forward(Tensor x, bool training)
    {
        if (!Shapes.Equal(x.Shape.AsSpan(1), InputShape))
            throw new ArgumentException(
                $"model {Name} takes input (N, {string.Join(", ", InputShape)}), got {Shapes.Format(x.Shape)}");
        foreach (var layer in _layers)
        {
            layer.Step = Step;
            layer.FirstSample = FirstSample;
            x = layer.Forward(x, training);
        }
        return x;
    }

    /// <summary>
    /// Back-propagates the gradient of the loss with respect to the output, filling every parameter's Grad; returns the
    /// gradient of the input when the model was built with propagateToInput. <paramref name="gradientsReady"/> is
    /// called after each layer that has parameters, with them (see <see cref="INetwork.Backward"/>).
    /// </summary>
    public Tensor? Backward(Tensor dlogits, Action<IReadOnlyList<Parameter>>? gradientsReady = null)
    {
        Tensor? d = dlogits;
        for (int i = _layers.Count - 1; i >= 0 && d is not null; i--)
        {
            d = _layers[i].Backward(d);
            if (gradientsReady is not null && _layers[i].Parameters.Count > 0) gradientsReady(_layers[i].Parameters);
        }
        return d;
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
        foreach (var layer in _layers) layer.Dispose();
    }
}

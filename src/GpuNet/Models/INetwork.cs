using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// What training, evaluation and checkpoints need of a network, whether it sits on one device (<see cref="Model"/>)
/// or is split across two (<see cref="TwoTowerAlexNet"/>). Input comes from the host; logits live on
/// <see cref="OutputDevice"/>. Checkpoints always use the single-device layout (<see cref="Layout"/>), so a split run's
/// checkpoint loads into a single-device model and the other way round.
/// </summary>
public interface INetwork : IDisposable
{
    string Name { get; }
    int Classes { get; }
    int[] InputShape { get; }
    /// <summary>Global step, passed to layers that draw random numbers (dropout).</summary>
    long Step { get; set; }
    /// <summary>
    /// Where the next batch's first sample sits in the global batch: 0 alone; a data-parallel rank's offset, so dropout
    /// masks are those of a single process on the whole batch.
    /// </summary>
    int FirstSample { get; set; }
    IEnumerable<Parameter> Parameters { get; }
    long ParameterCount { get; }
    IReadOnlyList<Accelerator> Devices { get; }
    Accelerator OutputDevice { get; }

    /// <summary>x: (n, …InputShape) on the host → logits (n, Classes) on <see cref="OutputDevice"/>.</summary>
    Tensor Forward(ReadOnlySpan<float> input, int n, bool training);

    /// <summary>
    /// dlogits (n, Classes) on <see cref="OutputDevice"/> → every parameter's Grad. <paramref name="gradientsReady"/>,
    /// when given, is called with each layer's parameters as soon as their gradients are complete (in backward order;
    /// from the thread that ran the layer, so possibly two at once on a split network): data-parallel training starts
    /// reducing them while the rest of backward runs.
    /// </summary>
    void Backward(Tensor dlogits, Action<IReadOnlyList<Parameter>>? gradientsReady = null);

    /// <summary>
    /// Where parameter <paramref name="p"/> sits in the single-device model: its name there, that tensor's shape, and
    /// the offset of p's elements in it.
    /// </summary>
    (string Name, int[] Shape, long Offset) Layout(Parameter p);
}

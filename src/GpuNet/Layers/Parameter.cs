using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>What a parameter is, for initialisers, weight decay and checkpoints.</summary>
public enum ParameterRole { Weight, Bias, Scale, Shift, RunningMean, RunningVariance }

/// <summary>A named tensor of a layer (data and, when trainable, its gradient), e.g. <c>conv1.weight</c>.</summary>
public sealed class Parameter : IDisposable
{
    public Parameter(string name, ParameterRole role, Tensor data, bool trainable, int fanIn, int fanOut)
    {
        Name = name; Role = role; Data = data; Trainable = trainable; FanIn = fanIn; FanOut = fanOut;
        Grad = trainable ? data.Accelerator.Zeros(data.Shape) : null;
    }

    public string Name { get; }
    public ParameterRole Role { get; }
    public Tensor Data { get; }
    /// <summary>
    /// Gradient of the loss; overwritten by each backward pass. Null for buffers (running statistics).
    /// </summary>
    public Tensor? Grad { get; }
    public bool Trainable { get; }
    /// <summary>Inputs feeding one output unit (C/G·R·S for a filter, inputs for a dense layer).</summary>
    public int FanIn { get; }
    public int FanOut { get; }
    /// <summary>Weight decay and L1 apply to weights only, never to biases or normalisation parameters.</summary>
    public bool Decays => Role == ParameterRole.Weight;
    /// <summary>
    /// The initialiser its layer's description gives it (<c>weight_init</c>, <c>bias_init</c>); null: the run's scheme.
    /// </summary>
    public Models.InitSpec? Init { get; set; }

    public void Dispose() { Data.Dispose(); Grad?.Dispose(); }
}

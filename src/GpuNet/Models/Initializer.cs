using GpuNet.Layers;

namespace GpuNet.Models;

/// <summary>Weight initialisation schemes.</summary>
public enum InitScheme
{
    /// <summary>Weights and biases U(±1/√fan_in) (LeCun's and Torch's default).</summary>
    Uniform,
    /// <summary>Glorot: U(±√(6/(fan_in + fan_out))), biases 0.</summary>
    Xavier,
    /// <summary>He: N(0, 2/fan_in), biases 0.</summary>
    He,
    /// <summary>
    /// AlexNet: N(0, 0.01²), biases as <see cref="AlexNetSpec.InitialBias"/> gives them (1 on conv2, conv4, conv5 and
    /// the hidden FC layers), 0 elsewhere and on other models.
    /// </summary>
    AlexNet,
}

public static class Initializer
{
    public static InitScheme Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "uniform" => InitScheme.Uniform,
        "xavier" or "glorot" => InitScheme.Xavier,
        "he" or "kaiming" => InitScheme.He,
        "alexnet" => InitScheme.AlexNet,
        _ => throw new ArgumentException($"unknown initialiser '{name}'; known: uniform, xavier, he, alexnet"),
    };

    /// <summary>Fills every trainable weight and bias of the model (normalisation layers keep γ = 1, β = 0).</summary>
    public static void Apply(Model model, InitScheme scheme, Rng rng) =>
        Apply(model.Parameters, scheme, rng,
            AlexNetSpec.Find(model.Name) is { } spec ? p => spec.InitialBias(p.Name) : null);

    /// <summary>Fills the split network's parameters; AlexNet's biases by their single-device names.</summary>
    public static void Apply(TwoTowerAlexNet model, InitScheme scheme, Rng rng)
    {
        var spec = AlexNetSpec.Find(model.Name)!;
        Apply(model.Parameters, scheme, rng, p => spec.InitialBias(TwoTowerAlexNet.SingleName(p.Name).Name));
    }

    /// <summary>
    /// Fills every weight and bias; <paramref name="alexNetBias"/> gives the bias of <see cref="InitScheme.AlexNet"/>
    /// (null: 0).
    /// </summary>
    public static void Apply(IEnumerable<Parameter> parameters, InitScheme scheme, Rng rng,
        Func<Parameter, float>? alexNetBias = null)
    {
        foreach (var p in parameters)
        {
            if (p.Role is not (ParameterRole.Weight or ParameterRole.Bias)) continue;
            var host = new float[p.Data.Length];
            bool bias = p.Role == ParameterRole.Bias;
            for (int i = 0; i < host.Length; i++)
                host[i] = scheme switch
                {
                    InitScheme.Uniform => rng.Uniform(-1f, 1f) / MathF.Sqrt(p.FanIn),
                    InitScheme.Xavier => bias ? 0f : rng.Uniform(-1f, 1f) * MathF.Sqrt(6f / (p.FanIn + p.FanOut)),
                    InitScheme.He => bias ? 0f : (float)(rng.NextGaussian() * Math.Sqrt(2.0 / p.FanIn)),
                    _ => bias ? alexNetBias?.Invoke(p) ?? 0f : (float)(rng.NextGaussian() * 0.01),
                };
            p.Data.CopyFrom(host);
        }
    }
}

using System.Globalization;
using GpuNet.Layers;

namespace GpuNet.Models;

/// <summary>
/// Weight initialisation schemes: the run's default for every parameter its layer gives no initialiser.
/// </summary>
public enum InitScheme
{
    /// <summary>Weights and biases U(±1/√fan_in) (LeCun's and Torch's default).</summary>
    Uniform,
    /// <summary>Glorot: U(±√(6/(fan_in + fan_out))), biases 0.</summary>
    Xavier,
    /// <summary>He: N(0, 2/fan_in), biases 0.</summary>
    He,
    /// <summary>
    /// AlexNet: N(0, 0.01²), biases 0 (the network file gives conv2, conv4, conv5, fc6 and fc7 a bias of 1).
    /// </summary>
    AlexNet,
}

/// <summary>How one parameter is initialised.</summary>
public enum InitKind { Uniform, Xavier, He, Gaussian, Constant }

/// <summary>
/// One parameter's initialiser, as a network file writes it in <c>weight_init</c> or <c>bias_init</c>:
/// <c>uniform</c> (±1/√fan_in), <c>xavier</c>, <c>he</c>, <c>gaussian:STD</c>, <c>constant:V</c> or a bare number V.
/// </summary>
public readonly record struct InitSpec(InitKind Kind, float Value = 0f)
{
    public const string Expected = "uniform, xavier, he, gaussian:STD, constant:VALUE or a number";

    public static bool TryParse(string text, out InitSpec spec)
    {
        static bool Number(string s, out float v) =>
            float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && float.IsFinite(v);
        string t = text.Trim();
        int colon = t.IndexOf(':');
        string head = colon < 0 ? t : t[..colon], arg = colon < 0 ? "" : t[(colon + 1)..];
        spec = default;
        switch (head)
        {
            case "uniform" when colon < 0: spec = new(InitKind.Uniform); return true;
            case "xavier" when colon < 0: spec = new(InitKind.Xavier); return true;
            case "he" when colon < 0: spec = new(InitKind.He); return true;
            case "gaussian" when Number(arg, out float std) && std >= 0:
                spec = new(InitKind.Gaussian, std);
                return true;
            case "constant" when Number(arg, out float c): spec = new(InitKind.Constant, c); return true;
        }
        if (colon < 0 && Number(t, out float value)) { spec = new(InitKind.Constant, value); return true; }
        return false;
    }

    public override string ToString() => Kind switch
    {
        InitKind.Gaussian => $"gaussian:{Value.ToString("R", CultureInfo.InvariantCulture)}",
        InitKind.Constant => $"constant:{Value.ToString("R", CultureInfo.InvariantCulture)}",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <summary>
    /// Fills <paramref name="host"/> for parameter <paramref name="p"/>, drawing from rng where random.
    /// </summary>
    public void Fill(Span<float> host, Parameter p, Rng rng)
    {
        for (int i = 0; i < host.Length; i++)
            host[i] = Kind switch
            {
                InitKind.Uniform => rng.Uniform(-1f, 1f) / MathF.Sqrt(p.FanIn),
                InitKind.Xavier => rng.Uniform(-1f, 1f) * MathF.Sqrt(6f / (p.FanIn + p.FanOut)),
                InitKind.He => (float)(rng.NextGaussian() * Math.Sqrt(2.0 / p.FanIn)),
                InitKind.Gaussian => (float)(rng.NextGaussian() * Value),
                _ => Value,
            };
    }
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

    /// <summary>What <paramref name="scheme"/> gives a weight or a bias its layer says nothing about.</summary>
    public static InitSpec Default(InitScheme scheme, ParameterRole role) => (scheme, role) switch
    {
        (InitScheme.Uniform, _) => new(InitKind.Uniform),
        (_, ParameterRole.Bias) => new(InitKind.Constant, 0f),
        (InitScheme.Xavier, _) => new(InitKind.Xavier),
        (InitScheme.He, _) => new(InitKind.He),
        _ => new(InitKind.Gaussian, 0.01f),
    };

    /// <summary>Fills every trainable weight and bias of the model (normalisation layers keep γ = 1, β = 0).</summary>
    public static void Apply(INetwork model, InitScheme scheme, Rng rng) => Apply(model.Parameters, scheme, rng);

    /// <summary>
    /// Fills every weight and bias, in order: with its own initialiser (<see cref="Parameter.Init"/>, from the network
    /// file) where it has one, else with the scheme's.
    /// </summary>
    public static void Apply(IEnumerable<Parameter> parameters, InitScheme scheme, Rng rng)
    {
        foreach (var p in parameters)
        {
            if (p.Role is not (ParameterRole.Weight or ParameterRole.Bias)) continue;
            var host = new float[p.Data.Length];
            (p.Init ?? Default(scheme, p.Role)).Fill(host, p, rng);
            p.Data.CopyFrom(host);
        }
    }
}

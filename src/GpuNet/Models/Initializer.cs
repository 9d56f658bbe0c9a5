using System.Globalization;
using GpuNet.Layers;

namespace GpuNet.Models;

/// <summary>
/// Weight initialisation schemes of a run. <see cref="File"/> and <see cref="AlexNet"/> give each parameter its layer's
/// own initialiser (<c>weight_init</c>, <c>bias_init</c> in the network file) and differ in what the rest get;
/// <see cref="Uniform"/>, <see cref="Xavier"/> and <see cref="He"/> apply to every parameter, whatever the file says.
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
    /// The 2012 paper's: each layer's initialisers (the AlexNet files give conv2, conv4, conv5, fc6 and fc7 a bias of
    /// 1); where a layer names none, weights N(0, 0.01²) and biases 0.
    /// </summary>
    AlexNet,
    /// <summary>Each layer's initialisers; where a layer names none, <see cref="Uniform"/>'s rule.</summary>
    File,
}

/// <summary>How one parameter is initialised.</summary>
public enum InitKind { Uniform, Xavier, He, Gaussian, Constant }

/// <summary>
/// One parameter's initialiser, as a network file writes it in <c>weight_init</c> or <c>bias_init</c>:
/// <c>uniform</c> (±1/√fan_in), <c>xavier</c>, <c>he</c>, <c>gaussian:STD</c>, <c>constant:V</c> or a bare number V.
/// </summary>
public readonly record struct InitSpec(InitKind Kind, double Value = 0)
{
    public const string Expected = "uniform, xavier, he, gaussian:STD, constant:VALUE or a number";

    public static bool TryParse(string text, out InitSpec spec)
    {
        // doubles: gaussian:0.01 scales by the double 0.01, as the initialiser always did
        static bool Number(string s, out double v) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && float.IsFinite((float)v);
        string t = text.Trim();
        int colon = t.IndexOf(':');
        string head = colon < 0 ? t : t[..colon], arg = colon < 0 ? "" : t[(colon + 1)..];
        spec = default;
        switch (head)
        {
            case "uniform" when colon < 0: spec = new(InitKind.Uniform); return true;
            case "xavier" when colon < 0: spec = new(InitKind.Xavier); return true;
            case "he" when colon < 0: spec = new(InitKind.He); return true;
            case "gaussian" when Number(arg, out double std) && std >= 0:
                spec = new(InitKind.Gaussian, std);
                return true;
            case "constant" when Number(arg, out double c): spec = new(InitKind.Constant, c); return true;
        }
        if (colon < 0 && Number(t, out double value)) { spec = new(InitKind.Constant, value); return true; }
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
                _ => (float)Value,
            };
    }
}

public static class Initializer
{
    public static InitScheme Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "file" => InitScheme.File,
        "uniform" => InitScheme.Uniform,
        "xavier" or "glorot" => InitScheme.Xavier,
        "he" or "kaiming" => InitScheme.He,
        "alexnet" => InitScheme.AlexNet,
        _ => throw new ArgumentException($"unknown initialiser '{name}'; known: file, uniform, xavier, he, alexnet"),
    };

    /// <summary>What <paramref name="scheme"/> gives a weight or a bias its layer says nothing about.</summary>
    public static InitSpec Default(InitScheme scheme, ParameterRole role) => (scheme, role) switch
    {
        (InitScheme.Uniform or InitScheme.File, _) => new(InitKind.Uniform),
        (_, ParameterRole.Bias) => new(InitKind.Constant, 0),
        (InitScheme.Xavier, _) => new(InitKind.Xavier),
        (InitScheme.He, _) => new(InitKind.He),
        _ => new(InitKind.Gaussian, 0.01),
    };

    /// <summary>Fills every trainable weight and bias of the model (normalisation layers keep γ = 1, β = 0).</summary>
    public static void Apply(INetwork model, InitScheme scheme, Rng rng) => Apply(model.Parameters, scheme, rng);

    /// <summary>
    /// Fills every weight and bias, in order: under <see cref="InitScheme.File"/> and <see cref="InitScheme.AlexNet"/>
    /// with its own initialiser (<see cref="Parameter.Init"/>, from the network file) where it has one, else (and under
    /// the other schemes always) with the scheme's.
    /// </summary>
    public static void Apply(IEnumerable<Parameter> parameters, InitScheme scheme, Rng rng)
    {
        foreach (var p in parameters)
        {
            if (p.Role is not (ParameterRole.Weight or ParameterRole.Bias)) continue;
            var host = new float[p.Data.Length];
            bool own = scheme is InitScheme.File or InitScheme.AlexNet;
            ((own ? p.Init : null) ?? Default(scheme, p.Role)).Fill(host, p, rng);
            p.Data.CopyFrom(host);
        }
    }
}

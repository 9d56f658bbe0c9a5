using System.Globalization;
using GpuNet.Layers;
using GpuNet.Models;

namespace GpuNet.Networks;

/// <summary>
/// A layer's settings as its type's <see cref="LayerType.Create"/> reads them: typed, with defaults from the type's
/// <see cref="SettingSpec"/>s; a missing required setting or a value of the wrong kind is one
/// <see cref="NetworkFileException"/> naming the file, line, layer, setting, the value and what is expected.
/// </summary>
public sealed class LayerArgs
{
    private readonly NetworkDescription _network;
    private readonly LayerType _type;

    internal LayerArgs(NetworkDescription network, LayerDescription layer, LayerType type, int classes, int index)
    {
        (_network, Layer, _type, Classes, Index) = (network, layer, type, classes, index);
    }

    public LayerDescription Layer { get; }
    public string Name => Layer.Name;
    /// <summary>The network's class count (what <c>classes</c> stands for).</summary>
    public int Classes { get; }
    /// <summary>The layer's place in the description, from 0.</summary>
    public int Index { get; }

    /// <summary>An error about <paramref name="key"/>'s value (or the layer, for null).</summary>
    public NetworkFileException Error(string? key, string message) =>
        _network.Error(key is null ? Layer.At : Layer.Where(key), $"layer '{Name}' ({Layer.Type}): {message}");

    private SettingSpec Spec(string key) => _type.Settings.FirstOrDefault(s => s.Name == key)
        ?? throw new InvalidOperationException($"layer type '{_type.Name}' reads '{key}' without declaring it");

    /// <summary>The scalar text of a setting, or its default; null when optional and unset.</summary>
    public string? Text(string key)
    {
        var spec = Spec(key);
        var v = Layer.Setting(key);
        if (v is null)
            return spec.Default is { } d ? d
                : throw Error(null, $"needs '{key}' ({spec.Help}); add '{key}: …' to the layer");
        return v.Scalar ?? throw Error(key, $"{key} is {v.Text}, expected {spec.Kind}");
    }

    /// <summary>Whether the layer sets <paramref name="key"/> itself.</summary>
    public bool Has(string key) => Layer.Setting(key) is not null;

    public int Int(string key, int min = int.MinValue, bool allowClasses = false)
    {
        string text = Text(key)!;
        if (allowClasses && text == NetworkDescription.ClassesValue) return Classes;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw Error(key, $"{key} is '{text}', expected {Spec(key).Kind}");
        if (v < min) throw Error(key, $"{key} is {v}, expected at least {min}");
        return v;
    }

    public float Float(string key, float min = float.NegativeInfinity, float max = float.PositiveInfinity,
        bool maxExclusive = false)
    {
        string text = Text(key)!;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
            throw Error(key, $"{key} is '{text}', expected {Spec(key).Kind}");
        if (v < min || v > max || (maxExclusive && v == max))
            throw Error(key, $"{key} is {text}, expected a number in [{min}, {max}{(maxExclusive ? ")" : "]")}");
        return v;
    }

    public bool Bool(string key)
    {
        string text = Text(key)!;
        return text switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(key, $"{key} is '{text}', expected true or false"),
        };
    }

    /// <summary>
    /// The initialiser a parameter setting names (<c>weight_init</c>, <c>bias_init</c>), or null when unset: the run's
    /// <c>--init</c> then decides.
    /// </summary>
    public InitSpec? Init(string key)
    {
        if (!Has(key)) return null;
        string text = Text(key)!;
        return InitSpec.TryParse(text, out var spec) ? spec
            : throw Error(key, $"{key} is '{text}', expected {InitSpec.Expected}");
    }
}

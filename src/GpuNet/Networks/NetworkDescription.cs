using System.Globalization;

namespace GpuNet.Networks;

/// <summary>
/// A setting's value as written: one scalar (<c>5</c>, <c>he</c>, <c>classes</c>) or a list of scalars
/// (<c>[3, 32, 32]</c>), with where it was written (null for descriptions built in C#).
/// </summary>
public sealed record SettingValue(string? Scalar, IReadOnlyList<string>? Items, SourcePosition? At = null)
{
    public static SettingValue Of(object value) => value switch
    {
        SettingValue v => v,
        string s => new(s, null),
        bool b => new(b ? "true" : "false", null),
        IFormattable f when value is not System.Collections.IEnumerable =>
            new(f.ToString(value is float or double ? "R" : null, CultureInfo.InvariantCulture), null),
        System.Collections.IEnumerable e => new(null, e.Cast<object>().Select(o => Of(o).Scalar!).ToArray()),
        _ => throw new ArgumentException($"a setting takes a number, a word, true/false or a list, got {value}"),
    };

    /// <summary>The value as written, for messages: <c>5</c>, <c>[3, 32, 32]</c>.</summary>
    public string Text => Scalar ?? $"[{string.Join(", ", Items!)}]";
}

/// <summary>
/// One layer of a network description: its name, its type (a name in <see cref="LayerTypes"/>), the layers it reads
/// (empty: the layer just above, or the network's input for the first layer) and its type's settings, in the order
/// written.
/// </summary>
public sealed class LayerDescription
{
    public LayerDescription(string name, string type, IReadOnlyList<string>? inputs = null,
        IEnumerable<KeyValuePair<string, SettingValue>>? settings = null, SourcePosition? at = null,
        IReadOnlyDictionary<string, SourcePosition>? keyPositions = null)
    {
        Name = name;
        Type = type;
        Inputs = inputs ?? [];
        Settings = (settings ?? []).ToList();
        At = at;
        KeyPositions = keyPositions ?? new Dictionary<string, SourcePosition>();
    }

    public string Name { get; }
    public string Type { get; }
    /// <summary>
    /// Names of earlier layers (or <see cref="NetworkDescription.InputName"/>); empty: the layer above.
    /// </summary>
    public IReadOnlyList<string> Inputs { get; }
    public IReadOnlyList<KeyValuePair<string, SettingValue>> Settings { get; }
    /// <summary>Where the layer's entry starts in its file.</summary>
    public SourcePosition? At { get; }
    /// <summary>Where each key of the entry (name, type, inputs, settings) was written.</summary>
    public IReadOnlyDictionary<string, SourcePosition> KeyPositions { get; }

    public SettingValue? Setting(string key) =>
        Settings.FirstOrDefault(s => s.Key == key) is { Key: not null } kv ? kv.Value : null;

    /// <summary>Where <paramref name="key"/>'s value was written, else where the layer starts.</summary>
    public SourcePosition? Where(string key) =>
        Setting(key)?.At ?? (KeyPositions.TryGetValue(key, out var p) ? p : At);
}

/// <summary>
/// A network as people write it (a YAML file, <see cref="NetworkFile"/>) or build it in C# (<see cref="Network"/>):
/// the input (shape and image transforms), a default class count, optional training defaults, and the layers in order,
/// each reading earlier layers, so the description is a graph in topological order. <see cref="Build"/> makes the
/// <see cref="Models.Model"/> that runs it; checkpoints keep the description's YAML, so a trained network needs nothing
/// else to be restored.
/// </summary>
public sealed class NetworkDescription
{
    /// <summary>The name by which a layer reads the network's input.</summary>
    public const string InputName = "input";
    /// <summary>
    /// The value of a width setting (<c>units</c>, <c>filters</c>) that means "as many as there are classes".
    /// </summary>
    public const string ClassesValue = "classes";

    public NetworkDescription(string name, int[] inputShape, IReadOnlyList<LayerDescription> layers,
        int classes = 10, string? trainTransform = null, string? evalTransform = null,
        IEnumerable<KeyValuePair<string, string>>? training = null, string? file = null,
        SourcePosition? inputAt = null)
    {
        Name = name;
        InputShape = inputShape;
        Layers = layers;
        Classes = classes;
        TrainTransform = trainTransform;
        EvalTransform = evalTransform;
        Training = (training ?? []).ToList();
        File = file ?? $"network '{name}'";
        InputAt = inputAt;
    }

    public string Name { get; }
    /// <summary>Per-sample input (C, H, W) or (F).</summary>
    public int[] InputShape { get; }
    /// <summary>Classes when nothing else says (a data folder's class count wins in training).</summary>
    public int Classes { get; }
    /// <summary>
    /// Image transform for training (<see cref="Data.Transform"/> spec); null: the images as they are.
    /// </summary>
    public string? TrainTransform { get; }
    /// <summary>Image transform for evaluation; null: the images as they are.</summary>
    public string? EvalTransform { get; }
    /// <summary>The run's defaults (<c>epochs</c>, <c>lr</c>, …) for options the command line leaves unsaid.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Training { get; }
    public IReadOnlyList<LayerDescription> Layers { get; }
    /// <summary>The file it was read from, named by every error (for a C# description: "network 'NAME'").</summary>
    public string File { get; }
    internal SourcePosition? InputAt { get; }

    /// <summary>
    /// The description in the network-file format (<see cref="NetworkFile"/>), which reads back equal.
    /// </summary>
    public string ToYaml() => NetworkFile.Write(this);

    /// <summary>Reads a network file (see <see cref="NetworkFile"/>).</summary>
    public static NetworkDescription Load(string path) => NetworkFile.Load(path);

    /// <summary>Reads network-file text; <paramref name="file"/> is the name errors give.</summary>
    public static NetworkDescription Parse(string yaml, string file) => NetworkFile.Parse(yaml, file);

    /// <summary>The same network read from elsewhere (a checkpoint): errors name <paramref name="file"/>.</summary>
    public NetworkDescription WithFile(string file) =>
        new(Name, InputShape, Layers, Classes, TrainTransform, EvalTransform, Training, file, InputAt);

    /// <summary>
    /// Sets the network up on <paramref name="accelerator"/> with <paramref name="classes"/> outputs (default
    /// <see cref="Classes"/>): every layer made by its type, checked (inputs, settings, shapes) with errors naming the
    /// file, line and layer.
    /// </summary>
    public Models.Model Build(Runtime.Accelerator accelerator, int? classes = null) =>
        NetworkGraph.Build(this, accelerator, classes ?? Classes);

    /// <summary>
    /// Checks what can be checked without setting the network up: names, types, inputs and every setting's value
    /// (shapes are checked by <see cref="Build"/>).
    /// </summary>
    public void Check() => NetworkGraph.Layers(this, Classes);

    /// <summary>Two descriptions are equal when they write the same file.</summary>
    public override bool Equals(object? obj) => obj is NetworkDescription d && d.ToYaml() == ToYaml();
    public override int GetHashCode() => ToYaml().GetHashCode(StringComparison.Ordinal);

    internal NetworkFileException Error(SourcePosition? at, string message) => new(File, at, message);
}

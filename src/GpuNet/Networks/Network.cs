namespace GpuNet.Networks;

/// <summary>
/// Describes networks in C#: <c>Network.Describe("net", 3, 32, 32).Conv("conv1", 16, 3, padding: 1).Relu("relu1")
/// … .Dense("fc", Network.Classes).Build()</c> gives the same <see cref="NetworkDescription"/> a network file does
/// (and writes it with <see cref="NetworkDescription.ToYaml"/>).
/// </summary>
public static class Network
{
    /// <summary>A width (<c>units</c>, <c>filters</c>) of as many as there are classes.</summary>
    public const int Classes = -1;

    /// <summary>
    /// Starts a description of a network named <paramref name="name"/> reading (C, H, W) or (F) samples.
    /// </summary>
    public static NetworkBuilder Describe(string name, params int[] inputShape) => new(name, inputShape);
}

/// <summary>
/// Adds layers in order; each reads the layer added before it unless <c>inputs</c> names others (or
/// <see cref="NetworkDescription.InputName"/>). Only settings that differ from the type's defaults are written.
/// </summary>
public sealed class NetworkBuilder
{
    private readonly string _name;
    private readonly int[] _shape;
    private readonly List<LayerDescription> _layers = [];
    private readonly List<KeyValuePair<string, string>> _training = [];
    private int _classes = 10;
    private string? _trainTransform, _evalTransform;

    internal NetworkBuilder(string name, int[] inputShape) => (_name, _shape) = (name, (int[])inputShape.Clone());

    /// <summary>The class count when nothing else says (training takes the data folder's).</summary>
    public NetworkBuilder WithClasses(int classes) { _classes = classes; return this; }

    /// <summary>The image transforms for training and evaluation (<see cref="Data.Transform"/> specs).</summary>
    public NetworkBuilder WithTransforms(string? train, string? eval)
    {
        (_trainTransform, _evalTransform) = (train, eval);
        return this;
    }

    /// <summary>
    /// A training default (a key of <see cref="NetworkFile.TrainingKeys"/>: <c>lr</c>, <c>epochs</c>, …).
    /// </summary>
    public NetworkBuilder WithTraining(string key, object value)
    {
        string text = SettingValue.Of(value).Text;
        TrainingDefaults.Check(key, text);
        _training.Add(new(key, text));
        return this;
    }

    /// <summary>
    /// A layer of any registered type with its settings (null values are left out). <paramref name="inputs"/>: the
    /// layers it reads (null: the one added before).
    /// </summary>
    public NetworkBuilder Layer(string name, string type, IReadOnlyList<string>? inputs = null,
        params (string Key, object? Value)[] settings)
    {
        _layers.Add(new LayerDescription(name, type, inputs,
            settings.Where(s => s.Value is not null).Select(s => new KeyValuePair<string, SettingValue>(s.Key,
                SettingValue.Of(s.Value is int i && i == Network.Classes ? NetworkDescription.ClassesValue
                    : s.Value!)))));
        return this;
    }

    public NetworkBuilder Conv(string name, int filters, int kernel, int? stride = null, int? padding = null,
        int? groups = null, bool? bias = null, string? weightInit = null, string? biasInit = null,
        IReadOnlyList<string>? inputs = null) =>
        Layer(name, "conv", inputs, ("filters", filters), ("kernel", kernel), ("stride", stride),
            ("padding", padding), ("groups", groups), ("bias", bias), ("weight_init", weightInit),
            ("bias_init", biasInit));

    public NetworkBuilder Dense(string name, int units, bool? bias = null, string? weightInit = null,
        string? biasInit = null, IReadOnlyList<string>? inputs = null) =>
        Layer(name, "dense", inputs, ("units", units), ("bias", bias), ("weight_init", weightInit),
            ("bias_init", biasInit));

    public NetworkBuilder Relu(string name, string? input = null) => Layer(name, "relu", One(input));
    public NetworkBuilder LeakyRelu(string name, float? slope = null, string? input = null) =>
        Layer(name, "leaky_relu", One(input), ("slope", slope));
    public NetworkBuilder Sigmoid(string name, string? input = null) => Layer(name, "sigmoid", One(input));
    public NetworkBuilder Tanh(string name, string? input = null) => Layer(name, "tanh", One(input));

    public NetworkBuilder MaxPool(string name, int kernel, int? stride = null, int? padding = null,
        string? input = null) =>
        Layer(name, "maxpool", One(input), ("kernel", kernel), ("stride", stride), ("padding", padding));

    public NetworkBuilder AvgPool(string name, int kernel, int? stride = null, int? padding = null,
        string? input = null) =>
        Layer(name, "avgpool", One(input), ("kernel", kernel), ("stride", stride), ("padding", padding));

    public NetworkBuilder GlobalAvgPool(string name, string? input = null) => Layer(name, "global_avgpool", One(input));
    public NetworkBuilder Flatten(string name, string? input = null) => Layer(name, "flatten", One(input));

    public NetworkBuilder Dropout(string name, float? p = null, int? seed = null, string? input = null) =>
        Layer(name, "dropout", One(input), ("p", p), ("seed", seed));

    public NetworkBuilder Lrn(string name, int? size = null, float? alpha = null, float? beta = null, float? k = null,
        int? groups = null, string? input = null) =>
        Layer(name, "lrn", One(input), ("size", size), ("alpha", alpha), ("beta", beta), ("k", k), ("groups", groups));

    public NetworkBuilder BatchNorm(string name, float? momentum = null, float? epsilon = null, string? input = null) =>
        Layer(name, "batchnorm", One(input), ("momentum", momentum), ("epsilon", epsilon));

    /// <summary>The element-wise sum of <paramref name="inputs"/> (a residual connection).</summary>
    public NetworkBuilder Add(string name, params string[] inputs) => Layer(name, "add", inputs);

    /// <summary>The concatenation of <paramref name="inputs"/> along channels.</summary>
    public NetworkBuilder Concat(string name, params string[] inputs) => Layer(name, "concat", inputs);

    private static string[]? One(string? input) => input is null ? null : [input];

    /// <summary>
    /// The description, checked as a file is (names, types, settings, inputs; shapes are checked when it is built).
    /// </summary>
    public NetworkDescription Build()
    {
        var d = new NetworkDescription(_name, _shape, _layers.ToList(), _classes, _trainTransform, _evalTransform,
            _training);
        NetworkGraph.Resolve(d);
        return d;
    }
}

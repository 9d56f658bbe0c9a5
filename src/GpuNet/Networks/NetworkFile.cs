using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace GpuNet.Networks;

/// <summary>
/// The network-file format (docs/network-files.md): YAML with <c>name</c>, <c>input</c> (<c>shape</c>, and optionally
/// <c>train_transform</c> and <c>eval_transform</c>), optionally <c>classes</c> and <c>training</c> (the run's
/// defaults), and <c>layers</c>: a list of entries with <c>name</c>, <c>type</c>, optionally <c>inputs</c> and the
/// type's settings. Reading checks the structure and names every problem with its line and column; the layer types'
/// settings are checked when the network is built (<see cref="NetworkDescription.Build"/>).
/// </summary>
public static class NetworkFile
{
    /// <summary>
    /// The run defaults a file may give in <c>training:</c> (the <c>gpunet train</c> options they stand for).
    /// </summary>
    public static readonly IReadOnlyList<string> TrainingKeys =
        ["epochs", "batch", "optimizer", "lr", "momentum", "weight_decay", "l1", "schedule", "init", "loss"];

    private static readonly string[] TopKeys = ["name", "input", "classes", "training", "layers"];
    private static readonly string[] InputKeys = ["shape", "train_transform", "eval_transform"];

    /// <summary>Reads a file; a missing or unreadable file is one error naming it.</summary>
    public static NetworkDescription Load(string path)
    {
        if (Directory.Exists(path))
            throw new NetworkFileException(path, null, "is a folder; give a network file such as net.yaml");
        if (!File.Exists(path))
            throw new NetworkFileException(path, null, "no such network file");
        return Parse(File.ReadAllText(path), path);
    }

    public static NetworkDescription Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlException e)
        {
            string what = (e.InnerException?.Message ?? e.Message).Replace("\n", " ");
            throw new NetworkFileException(file, new SourcePosition((int)e.Start.Line, (int)e.Start.Column),
                $"not valid YAML: {what}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner gives up this way on some unclosed flow collections, without a position
            throw new NetworkFileException(file, null, "not valid YAML: an unclosed '{' or '[' (a flow mapping or " +
                "list must close on the line it belongs to)", e);
        }
        if (stream.Documents.Count != 1)
            throw new NetworkFileException(file, null,
                stream.Documents.Count == 0 ? "the file is empty; a network file starts with 'name:'"
                    : "holds several YAML documents (---); a network file is one");
        var r = new Reader(file);
        return r.Network(stream.Documents[0].RootNode);
    }

    private sealed class Reader(string file)
    {
        private static SourcePosition At(YamlNode n) => new((int)n.Start.Line, (int)n.Start.Column);
        private NetworkFileException Error(YamlNode n, string message) => new(file, At(n), message);

        private YamlMappingNode Mapping(YamlNode n, string what) => n as YamlMappingNode
            ?? throw Error(n, $"{what} must be a mapping of 'key: value' lines, got {Kind(n)}");

        private static string Kind(YamlNode n) => n switch
        {
            YamlScalarNode s => $"the value '{s.Value}'",
            YamlSequenceNode => "a list",
            _ => "a mapping",
        };

        private string Scalar(YamlNode n, string what) => n is YamlScalarNode s ? s.Value ?? ""
            : throw Error(n, $"{what} must be a single value, got {Kind(n)}");

        private List<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode m, string what,
            IReadOnlyList<string>? known)
        {
            var list = new List<(string, YamlNode, YamlNode)>();
            foreach (var (k, v) in m.Children)
            {
                string key = Scalar(k, $"a key of {what}");
                if (known is not null && !known.Contains(key))
                {
                    string? near = LayerTypes.Closest(key, known);
                    throw Error(k, $"unknown key '{key}' in {what}" + (near is null ? "" : $" (did you mean '{near}'?)")
                        + $"; expected {string.Join(", ", known)}");
                }
                list.Add((key, k, v));
            }
            return list;
        }

        private int Int(YamlNode n, string what, int min)
        {
            string text = Scalar(n, what);
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min)
                throw Error(n, $"{what} is '{text}', expected an integer of at least {min}");
            return v;
        }

        public NetworkDescription Network(YamlNode root)
        {
            var top = Entries(Mapping(root, "a network file"), "the network file", TopKeys);
            YamlNode? Find(string key) => top.FirstOrDefault(e => e.Key == key).Value;
            string name = Scalar(Find("name") ?? throw Error(root, "the network has no 'name:'"), "name");
            if (!LayerTypes.IsName(name))
                throw Error(Find("name")!, $"name '{name}' must be letters, digits, '_' or '-'");
            var inputNode = Find("input") ?? throw Error(root, "the network has no 'input:' (its 'shape:', e.g. " +
                "[3, 32, 32])");
            var input = Entries(Mapping(inputNode, "input"), "input", InputKeys);
            var shapeNode = input.FirstOrDefault(e => e.Key == "shape").Value
                ?? throw Error(inputNode, "input has no 'shape:' (e.g. [3, 32, 32] for RGB 32×32 images)");
            if (shapeNode is not YamlSequenceNode shapeList)
                throw Error(shapeNode, $"input shape must be a list such as [3, 32, 32], got {Kind(shapeNode)}");
            int[] shape = shapeList.Children.Select(c => Int(c, "an input dimension", 1)).ToArray();
            string? Transform(string key)
            {
                if (input.FirstOrDefault(e => e.Key == key).Value is not { } v) return null;
                string spec = Scalar(v, $"input {key}");
                try
                {
                    var steps = Data.Transform.ParseSteps(spec);
                    if (key == "eval_transform" && steps.Any(st => st.IsRandom))
                        throw new ArgumentException("it has random steps; evaluation must be deterministic");
                }
                catch (ArgumentException e) { throw Error(v, $"input {key} '{spec}': {e.Message}"); }
                return spec;
            }
            int classes = Find("classes") is { } c ? Int(c, "classes", 1) : 10;
            var training = Find("training") is { } t ? Training(t) : [];
            var layersNode = Find("layers") ?? throw Error(root, "the network has no 'layers:' list");
            if (layersNode is not YamlSequenceNode layerList)
                throw Error(layersNode, $"layers must be a list of '- name: …' entries, got {Kind(layersNode)}");
            var layers = layerList.Children.Select(Layer).ToList();
            return new NetworkDescription(name, shape, layers, classes, Transform("train_transform"),
                Transform("eval_transform"), training, file, At(shapeNode));
        }

        private List<KeyValuePair<string, string>> Training(YamlNode n)
        {
            var list = new List<KeyValuePair<string, string>>();
            foreach (var (key, _, v) in Entries(Mapping(n, "training"), "training", TrainingKeys))
            {
                string value = Scalar(v, $"training {key}");
                try { TrainingDefaults.Check(key, value); }
                catch (ArgumentException e) { throw Error(v, $"training {key}: {e.Message}"); }
                list.Add(new(key, value));
            }
            return list;
        }

        private LayerDescription Layer(YamlNode n)
        {
            var m = Mapping(n, "a layer");
            string? name = null, type = null;
            var inputs = new List<string>();
            var settings = new List<KeyValuePair<string, SettingValue>>();
            var positions = new Dictionary<string, SourcePosition>();
            foreach (var (key, k, v) in Entries(m, "a layer", null))
            {
                positions[key] = At(v);
                switch (key)
                {
                    case "name": name = Scalar(v, "a layer's name"); break;
                    case "type": type = Scalar(v, "a layer's type"); break;
                    case "inputs":
                        inputs.AddRange(v is YamlSequenceNode list ? list.Children.Select(c => Scalar(c, "an input"))
                            : [Scalar(v, "inputs")]);
                        break;
                    default:
                        settings.Add(new(key, v switch
                        {
                            YamlScalarNode s => new SettingValue(s.Value ?? "", null, At(v)),
                            YamlSequenceNode seq => new SettingValue(null,
                                seq.Children.Select(c => Scalar(c, $"an item of {key}")).ToArray(), At(v)),
                            _ => throw Error(v, $"setting '{key}' must be a value or a list, got a mapping"),
                        }));
                        break;
                }
            }
            if (name is null) throw Error(n, "a layer has no 'name:'; every layer is named (others read it by name)");
            if (type is null)
                throw Error(n, $"layer '{name}' has no 'type:'; known types: {string.Join(", ", LayerTypes.Names)}");
            return new LayerDescription(name, type, inputs, settings, At(n), positions);
        }
    }

    /// <summary>
    /// The description as a network file: one line per layer, which <see cref="Parse"/> reads back equal.
    /// </summary>
    public static string Write(NetworkDescription d)
    {
        var sb = new StringBuilder();
        sb.Append("name: ").Append(Quote(d.Name)).Append('\n');
        sb.Append("input:\n  shape: [").Append(string.Join(", ", d.InputShape)).Append("]\n");
        if (d.TrainTransform is { } tt) sb.Append("  train_transform: ").Append(Quote(tt)).Append('\n');
        if (d.EvalTransform is { } et) sb.Append("  eval_transform: ").Append(Quote(et)).Append('\n');
        sb.Append("classes: ").Append(d.Classes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (d.Training.Count > 0)
        {
            sb.Append("training:\n");
            foreach (var (k, v) in d.Training) sb.Append("  ").Append(k).Append(": ").Append(Quote(v)).Append('\n');
        }
        sb.Append("layers:\n");
        foreach (var l in d.Layers)
        {
            var parts = new List<string> { $"name: {Quote(l.Name)}", $"type: {Quote(l.Type)}" };
            if (l.Inputs.Count > 0) parts.Add($"inputs: [{string.Join(", ", l.Inputs.Select(Quote))}]");
            foreach (var (k, v) in l.Settings)
                parts.Add($"{Quote(k)}: "
                    + (v.Scalar is { } s ? Quote(s) : $"[{string.Join(", ", v.Items!.Select(Quote))}]"));
            sb.Append("  - {").Append(string.Join(", ", parts)).Append("}\n");
        }
        return sb.ToString();
    }

    // A plain scalar where YAML reads it back as the same text, else double-quoted.
    private static string Quote(string s)
    {
        static bool Safe(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '+';
        bool plain = s.Length > 0 && s.All(Safe) && (char.IsAsciiLetterOrDigit(s[0]) || s[0] == '_'
            || (s.Length > 1 && s[0] is '-' or '+' or '.' && char.IsAsciiDigit(s[1])));
        if (plain && s is not ("~" or "null" or "Null" or "NULL")) return s;
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}

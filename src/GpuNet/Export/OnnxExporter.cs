using Google.Protobuf;
using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Runtime.Cpu;
using GpuNet.Training;
using Onnx;
using static GpuNet.Export.OnnxGraph;

namespace GpuNet.Export;

/// <summary>An exported file: where, in which opset, and what it holds.</summary>
/// <param name="Path">The file written.</param>
/// <param name="Opset">ONNX opset of the default domain.</param>
/// <param name="IrVersion">ONNX IR version of the file.</param>
/// <param name="Nodes">Nodes in the graph.</param>
/// <param name="Parameters">Trainable parameters of the model.</param>
/// <param name="Bytes">Size of the file.</param>
/// <param name="Preprocessing">What an image needs before the model sees it (also in the file's metadata).</param>
public sealed record OnnxExportResult(string Path, int Opset, long IrVersion, int Nodes, long Parameters, long Bytes,
    Preprocessing Preprocessing);

/// <summary>
/// Writes a <see cref="Model"/> as an ONNX graph for inference, by walking its own layers and the edges between them:
/// Add (Sum for more than two inputs) and Concat along channels where the graph joins, Conv (with <c>group</c>),
/// Gemm, Relu and the other activations, LRN (a grouped LRN as Split → LRN per group → Concat, so the window never
/// crosses a group), MaxPool/AveragePool in floor mode with padding counted in the average, BatchNormalization with the
/// running statistics, Flatten; dropout is the identity at inference and leaves no node. The graph reads
/// <c>input</c> (batch, C, H, W), with a symbolic batch, and gives <c>probabilities</c> (the softmax) and
/// <c>logits</c>, each (batch, classes).
/// </summary>
public static class OnnxExporter
{
    /// <summary>The opset written by default (IR version 8): ONNX 1.12's checker and ONNX Runtime read it.</summary>
    public const int DefaultOpset = 17;
    /// <summary>Oldest opset the exporter writes: Split takes its sizes as an input from 13 on.</summary>
    public const int MinOpset = 13;
    /// <summary>Newest opset the exporter writes (ONNX 1.18, IR version 11).</summary>
    public const int MaxOpset = 23;

    /// <summary>The graph's input, float32 (batch, C, H, W).</summary>
    public const string InputName = "input";
    /// <summary>The graph's first output: the softmax over the classes, (batch, classes).</summary>
    public const string ProbabilitiesName = "probabilities";
    /// <summary>The graph's second output: the logits, (batch, classes).</summary>
    public const string LogitsName = "logits";
    private const string Batch = "batch";

    /// <summary>The IR version of the ONNX release that introduced <paramref name="opset"/>.</summary>
    public static long IrVersion(int opset) => opset switch
    {
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <summary>
    /// The ONNX model of <paramref name="model"/>'s inference pass, its parameters as initializers under their own
    /// names (<c>conv1.weight</c>), and <paramref name="preprocessing"/> in <c>metadata_props</c>.
    /// </summary>
    public static ModelProto Build(Model model, Preprocessing? preprocessing = null, int opset = DefaultOpset)
    {
        CheckOpset(opset);
        var g = new OnnxGraph(model.Name);
        g.Proto.Input.Add(Value(InputName, Batch, model.InputShape));
        // each layer's output tensor by the names of what it reads: the graph's edges are the model's
        var outputs = new string[model.Layers.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            var inputs = model.InputsOf(i).Select(j => j == Model.NetworkInput ? InputName : outputs[j]).ToArray();
            outputs[i] = Emit(g, model.Layers[i], inputs, opset);
        }
        g.Rename(outputs.Length > 0 ? outputs[^1] : InputName, LogitsName);
        g.Node("Softmax", "softmax", [LogitsName], ProbabilitiesName, Attr("axis", 1L));
        g.Proto.Output.Add(Value(ProbabilitiesName, Batch, model.OutputShape));
        g.Proto.Output.Add(Value(LogitsName, Batch, model.OutputShape));
        g.Proto.DocString = $"GpuNet {model.Name}: {model.ParameterCount:N0} parameters";

        var m = new ModelProto
        {
            IrVersion = IrVersion(opset),
            ProducerName = "GpuNet",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = g.Proto,
            DocString = preprocessing is null ? g.Proto.DocString
                : $"{g.Proto.DocString}. Input: {preprocessing.Steps}",
        };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        foreach (var (k, v) in preprocessing?.Metadata() ?? [])
            m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return m;
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file in its folder;
    /// returns the file's size.</summary>
    public static long Save(ModelProto model, string path)
    {
        string full = CheckOutput(path);
        AtomicFile.Write(full, s => model.WriteTo(s));
        return new FileInfo(full).Length;
    }

    // The full path of a file that can be written: not a folder, in a folder that exists.
    private static string CheckOutput(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new ArgumentException($"--out {path} is a folder; give a file name such as model.onnx");
        string dir = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{dir}: folder does not exist (for --out {path})");
        return full;
    }

    private static void CheckOpset(int opset)
    {
        if (opset is < MinOpset or > MaxOpset)
            throw new ArgumentException(
                $"--opset {opset} is not supported; the exporter writes opsets {MinOpset} to {MaxOpset}");
    }

    /// <summary>
    /// Exports a checkpoint (any built-in model; a split run's checkpoint is in the single-device layout and exports as
    /// the grouped model) with its preprocessing.
    /// </summary>
    public static OnnxExportResult Export(string checkpoint, string outPath, int opset = DefaultOpset)
    {
        CheckOpset(opset);
        CheckOutput(outPath);   // before the checkpoint loads
        using var cpu = new CpuAccelerator();
        using var trained = TrainedModel.Open(checkpoint, cpu);
        var model = (Model)trained.Network;
        var pre = Preprocessing.Of(trained, model.Name);
        var proto = Build(model, pre, opset);
        long bytes = Save(proto, outPath);
        return new OnnxExportResult(outPath, opset, proto.IrVersion, proto.Graph.Node.Count, model.ParameterCount,
            bytes, pre);
    }

    // One layer's nodes reading the tensors named by inputs; returns the name of the layer's output.
    private static string Emit(OnnxGraph g, Layer layer, string[] inputs, int opset)
    {
        string n = layer.Name, x = inputs[0];
        switch (layer)
        {
            case Add:
                return g.Node(inputs.Length == 2 ? "Add" : "Sum", n, inputs, n);
            case Concat:
                return g.Node("Concat", n, inputs, n, Attr("axis", 1L));
            case Conv2d c:
                long k = c.Kernel, s = c.Stride, p = c.Padding;
                return g.Node("Conv", n, [x, Weight(g, c.Weight), .. Bias(g, c.Bias)], n,
                    Attr("kernel_shape", k, k), Attr("strides", s, s), Attr("pads", p, p, p, p),
                    Attr("dilations", 1L, 1L), Attr("group", (long)c.Groups));
            case Dense d:
                // Dense flattens (C, H, W) itself; Gemm needs (N, In)
                if (d.InputShape.Length > 1) x = g.Node("Flatten", $"{n}/flatten", [x], $"{n}/flat", Attr("axis", 1L));
                return g.Node("Gemm", n, [x, Weight(g, d.Weight), .. Bias(g, d.Bias)], n,
                    Attr("alpha", 1f), Attr("beta", 1f), Attr("transB", 1L));
            case Activation a:
                return a.Function switch
                {
                    ActivationKind.Relu => g.Node("Relu", n, [x], n),
                    ActivationKind.LeakyRelu => g.Node("LeakyRelu", n, [x], n, Attr("alpha", a.Slope)),
                    ActivationKind.Sigmoid => g.Node("Sigmoid", n, [x], n),
                    ActivationKind.Tanh => g.Node("Tanh", n, [x], n),
                    _ => throw Unsupported(layer, opset),
                };
            case Lrn l:
                return EmitLrn(g, l, x);
            case Pool2d pool:
                return EmitPool(g, pool, x);
            case GlobalAvgPool:
                x = g.Node("GlobalAveragePool", n, [x], $"{n}/nchw");
                return g.Node("Flatten", $"{n}/flatten", [x], n, Attr("axis", 1L));
            case Flatten:
                return g.Node("Flatten", n, [x], n, Attr("axis", 1L));
            case Dropout:
                return x;   // the identity at inference
            case BatchNorm b:
                string[] bn =
                    [x, Weight(g, b.Gamma), Weight(g, b.Beta), Weight(g, b.RunningMean), Weight(g, b.RunningVariance)];
                return g.Node("BatchNormalization", n, bn, n, Attr("epsilon", b.Epsilon));
            default:
                throw Unsupported(layer, opset);
        }
    }

    // GpuNet's LRN and ONNX's both scale by k + α/size · Σ x² over a window of `size` channels centred on c;
    // GpuNet's channel groups keep the window inside a group, which ONNX's LRN cannot, so each group gets its own.
    private static string EmitLrn(OnnxGraph g, Lrn l, string x)
    {
        string n = l.Name;
        var p = l.Settings;
        AttributeProto[] attrs =
            [Attr("size", (long)p.Size), Attr("alpha", p.Alpha), Attr("beta", p.Beta), Attr("bias", p.K)];
        if (p.Groups == 1) return g.Node("LRN", n, [x], n, attrs);
        int per = l.InputShape[0] / p.Groups;
        var parts = Enumerable.Range(0, p.Groups).Select(i => $"{n}/group{i}").ToArray();
        string sizes = g.Constant($"{n}/split", Enumerable.Repeat((long)per, p.Groups).ToArray());
        g.Node("Split", $"{n}/split", [x, sizes], parts, Attr("axis", 1L));
        var normed = parts.Select((part, i) => g.Node("LRN", $"{n}/lrn{i}", [part], $"{part}/lrn", attrs)).ToArray();
        return g.Node("Concat", $"{n}/concat", normed, n, Attr("axis", 1L));
    }

    // Floor mode (ceil_mode 0) as Pool2dGeometry computes; padded cells never win a max and count in an average's
    // divisor (count_include_pad 1: GpuNet divides by the whole window, which floor mode keeps inside the padding).
    private static string EmitPool(OnnxGraph g, Pool2d pool, string x)
    {
        long k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        AttributeProto[] attrs =
            [Attr("kernel_shape", k, k), Attr("strides", s, s), Attr("pads", p, p, p, p), Attr("ceil_mode", 0L)];
        return pool.IsMax
            ? g.Node("MaxPool", pool.Name, [x], pool.Name, attrs)
            : g.Node("AveragePool", pool.Name, [x], pool.Name, [.. attrs, Attr("count_include_pad", 1L)]);
    }

    private static string Weight(OnnxGraph g, Parameter p) => g.Constant(p.Name, p.Data.Shape, p.Data.ToArray());

    // Conv's B and Gemm's C are optional inputs: a layer without a bias leaves them out
    private static string[] Bias(OnnxGraph g, Parameter? p) => p is null ? [] : [Weight(g, p)];

    private static NotSupportedException Unsupported(Layer layer, int opset) => new(
        $"layer '{layer.Name}' ({layer.Kind}) has no ONNX opset {opset} equivalent in GpuNet's exporter; it writes " +
        "Conv2d, Dense, Relu, LeakyRelu, Sigmoid, Tanh, LRN, MaxPool2d, AvgPool2d, GlobalAvgPool, Flatten, Dropout " +
        "(removed), BatchNorm, Add and Concat");
}

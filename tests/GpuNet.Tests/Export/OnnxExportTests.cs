using System.Text.Json;
using GpuNet.Data;
using GpuNet.Export;
using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Runtime.Cpu;
using GpuNet.Tests.Ops;
using GpuNet.Tests.Training;
using GpuNet.Training;
using Microsoft.ML.OnnxRuntime;

namespace GpuNet.Tests.Export;

/// <summary>
/// Trained LeNet-5 on MNIST exported and run in ONNX Runtime: the same logits and classes as GpuNet's CPU accelerator
/// on real images, and preprocessing metadata from which a user rebuilds GpuNet's input exactly.
/// </summary>
public sealed class LeNetOnnxExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-onnx-lenet").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // train/<digit>/ with perClass images and test/<digit>/ with testPerClass, copied from MNIST
    private string MnistSubset(int perClass, int testPerClass)
    {
        string root = Path.Combine(_dir, "mnist");
        foreach (var (split, count) in new[] { ("train", perClass), ("test", testPerClass) })
            foreach (var cls in Directory.GetDirectories(Path.Combine(Mnist.Folder, split)).Order())
            {
                string to = Directory.CreateDirectory(Path.Combine(root, split, Path.GetFileName(cls))).FullName;
                foreach (var f in Directory.GetFiles(cls).Order().Take(count))
                    File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
            }
        return root;
    }

    [Fact]
    public void Trained_LeNet5_gives_GpuNets_logits_on_MNIST_in_ONNX_Runtime()
    {
        string data = MnistSubset(30, 3), run = Path.Combine(_dir, "run");
        var o = new TrainOptions { Model = "lenet5", Data = data, Epochs = 1, Batch = 16, Seed = 3, Out = run };
        Trainer.Run(o, NullObserver.Instance);
        string ckpt = Path.Combine(run, "best.ckpt"), onnx = Path.Combine(_dir, "lenet5.onnx");
        var res = OnnxExporter.Export(ckpt, onnx);
        Assert.Equal(17, res.Opset);
        Assert.Equal(8, res.IrVersion);
        Assert.Equal(61_706, res.Parameters);

        using var cpu = new CpuAccelerator();
        using var tm = TrainedModel.Open(ckpt, cpu);
        var files = Directory.GetFiles(Path.Combine(data, "test"), "*.png", SearchOption.AllDirectories).Order()
            .ToArray();
        int n = files.Length;
        var x = AlexNetOnnxExportTests.Inputs(tm, files);

        using var session = new InferenceSession(onnx);
        OnnxRun.Same(OnnxRun.Logits(tm.Network, x, n), OnnxRun.Run(session, x, n, [1, 32, 32]), 10, "LeNet-5 on MNIST");

        // the metadata alone rebuilds the input: 28×28 gray centred on 32×32 (black around), (pixel/255 − mean)/std
        var meta = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(tm.Classes, JsonSerializer.Deserialize<string[]>(meta["classes"]));
        Assert.Equal("gray", meta["channel_order"]);
        Assert.Equal("[1,32,32]", meta["input_shape"]);
        float mean = JsonSerializer.Deserialize<float[]>(meta["mean"])![0];
        float std = JsonSerializer.Deserialize<float[]>(meta["std"])![0];
        var image = ImageDecoder.Read(files[0]);
        Assert.Equal((28, 28, 1), (image.Width, image.Height, image.Channels));
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++)
            {
                int sr = r - 2, sc = c - 2;
                float pixel = sr is >= 0 and < 28 && sc is >= 0 and < 28 ? image.Pixels[sr * 28 + sc] : 0;
                Assert.Equal((pixel / 255f - mean) / std, x[r * 32 + c], 1e-5f);
            }
    }
}

/// <summary>
/// AlexNet-small trained for an epoch on a rendered shapes folder, on one device and split across cpu,cpu: the exported
/// file gives the logits and classes of GpuNet's grouped model and of the two-tower network that trained it; full-size
/// AlexNet (227×227, 60M parameters) on two images.
/// </summary>
[RequiresAccelerator("turbojpeg")]
public sealed class AlexNetOnnxExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-onnx-alexnet").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>The images through the checkpoint's evaluation transform, (n, C, H, W).</summary>
    internal static float[] Inputs(TrainedModel tm, string[] files) => Inputs(tm.Transform, files);

    private static float[] Inputs(Transform tf, string[] files)
    {
        int size = tf.SampleSize;
        var x = new float[files.Length * size];
        for (int i = 0; i < files.Length; i++)
            tf.Apply(ImageDecoder.Read(files[i]), x.AsSpan(i * size, size), new Rng(1));
        return x;
    }

    [AcceleratorTheory]
    [InlineData(null)]
    [InlineData("cpu,cpu")]
    public void Trained_AlexNet_small_gives_GpuNets_logits_on_shapes_in_ONNX_Runtime(string? devices)
    {
        string data = Path.Combine(_dir, "shapes"), run = Path.Combine(_dir, "run");
        SyntheticShapes.Write(data, perClass: 3, testPerClass: 2, size: 80, seed: 4);
        var o = TrainOptions.ForModel("alexnet-small") with
        {
            Data = data,
            Epochs = 1,
            Batch = 8,
            Out = run,
            Devices = devices,
            Workers = 1,
        };
        Trainer.Run(o, NullObserver.Instance);
        string ckpt = Path.Combine(run, "last.ckpt"), onnx = Path.Combine(_dir, "alexnet-small.onnx");
        var res = OnnxExporter.Export(ckpt, onnx);
        var files = Directory.GetFiles(Path.Combine(data, "test"), "*.jpg", SearchOption.AllDirectories).Order()
            .ToArray();
        var pre = res.Preprocessing;
        Assert.Equal(SyntheticShapes.Classes, pre.Classes);
        Assert.Equal("resize:76,center-crop:67", pre.EvalTransform);
        Assert.Equal("RGB", pre.ChannelOrder);

        using var cpu = new CpuAccelerator();
        using var grouped = TrainedModel.Open(ckpt, cpu);
        var x = Inputs(grouped, files);
        var fromOnnx = OnnxRun.Run(onnx, x, files.Length, [3, 67, 67]);
        OnnxRun.Same(OnnxRun.Logits(grouped.Network, x, files.Length), fromOnnx, 10, "grouped alexnet-small");
        if (devices is null) return;
        // the network that trained it: two towers, each on its own accelerator
        using var first = new CpuAccelerator();
        using var second = new CpuAccelerator();
        using var split = TrainedModel.Open(ckpt, first, second);
        Assert.IsType<TwoTowerAlexNet>(split.Network);
        OnnxRun.Same(OnnxRun.Logits(split.Network, x, files.Length), fromOnnx, 10, "two-tower alexnet-small");
    }

    [AcceleratorFact]
    public void Full_size_AlexNet_gives_GpuNets_logits_in_ONNX_Runtime()
    {
        // 60M parameters: built once, exported from memory (the checkpoint path is the same code, tested above)
        string data = Path.Combine(_dir, "big"), onnx = Path.Combine(_dir, "alexnet.onnx");
        SyntheticShapes.Write(data, perClass: 1, testPerClass: 0, size: 256, seed: 8);
        var files = Directory.GetFiles(data, "*.jpg", SearchOption.AllDirectories).Order().Take(2).ToArray();
        using var cpu = new CpuAccelerator();
        using var model = ModelZoo.Create("alexnet", cpu);
        Initializer.Apply(model, InitScheme.He, new Rng(5));
        var pre = new Preprocessing("alexnet", model.InputShape, [0.5f, 0.45f, 0.4f], [0.25f, 0.24f, 0.26f],
            Enumerable.Range(0, 1000).Select(i => $"n{i:D8}").ToArray(), "resize:256,center-crop:227");
        var proto = OnnxExporter.Build(model, pre);
        OnnxExporter.Save(proto, onnx);
        // no dropout; each grouped LRN is Split, an LRN per tower and Concat; conv2, conv4, conv5 grouped
        var ops = proto.Graph.Node.GroupBy(n => n.OpType).OrderBy(g => g.Key, StringComparer.Ordinal);
        Assert.Equal("Concat:2 Conv:5 Flatten:1 Gemm:3 LRN:4 MaxPool:3 Relu:7 Softmax:1 Split:2",
            string.Join(" ", ops.Select(g => $"{g.Key}:{g.Count()}")));
        var groups = proto.Graph.Node.Where(n => n.OpType == "Conv")
            .Select(n => n.Attribute.Single(a => a.Name == "group").I);
        Assert.Equal([1L, 2, 1, 2, 2], groups);
        var tf = new Transform(Transform.ParseSteps(pre.EvalTransform), model.InputShape, pre.Mean, pre.Std);
        var x = Inputs(tf, files);
        OnnxRun.Same(OnnxRun.Logits(model, x, 2), OnnxRun.Run(onnx, x, 2, [3, 227, 227]), 1000, "alexnet 227x227");
    }
}

/// <summary>
/// Conventions where GpuNet and ONNX could disagree, on a model of every exported layer kind with the settings where a
/// wrong convention shows: padded average pooling (count_include_pad), padded max pooling, a grouped LRN with a large
/// α (α/size scaling, the window kept in its group), grouped padded convolution, batch norm's running statistics,
/// leaky ReLU's slope, Dense on a (C, H, W) input, global average pooling and dropout.
/// </summary>
public sealed class OnnxConventionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-onnx-conv").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Every exported layer kind, with random weights and running statistics.</summary>
    internal static Model Conventions(CpuAccelerator cpu, int variant)
    {
        Layer[] layers = variant == 0
            ?
            [
                new Conv2d("conv", 6, 3, 1, 1, groups: 2), new BatchNorm("bn"),
                new Activation("leaky", ActivationKind.LeakyRelu, 0.2f),
                new Pool2d("avg", false, 3, 2, 1),
                new Lrn("lrn", new GpuNet.Runtime.LrnParameters(3, 2f, 0.75f, 1f, Groups: 2)),
                new Pool2d("max", true, 3, 2, 1), new Activation("tanh", ActivationKind.Tanh),
                new Dense("fc", 7), new Activation("sigmoid", ActivationKind.Sigmoid), new Dense("out", 4),
            ]
            :
            [
                new Conv2d("conv", 8, 5, 2, 2), new Activation("relu", ActivationKind.Relu),
                new Lrn("lrn", new GpuNet.Runtime.LrnParameters(5, 3f, 0.5f, 2f)), new GlobalAvgPool("gap"),
                new Dropout("drop", 0.5f, 1), new Dense("out", 3),
            ];
        var m = new Model($"conventions{variant}", cpu, [4, 11, 11], layers);
        Initializer.Apply(m, InitScheme.Xavier, new Rng((ulong)(7 + variant)));
        var r = new Random(variant);
        foreach (var p in m.Parameters.Where(p => p.Role is not (ParameterRole.Weight or ParameterRole.Bias)))
            p.Data.CopyFrom(Enumerable.Range(0, p.Data.Length).Select(_ => (float)(0.5 + r.NextDouble())).ToArray());
        return m;
    }

    [Theory]
    [InlineData(0, 17)]
    [InlineData(1, 17)]
    [InlineData(0, 13)]
    [InlineData(0, 18)]   // Split gained num_outputs; its sizes input still holds
    [InlineData(0, 23)]
    public void Every_layer_kind_agrees_with_ONNX_Runtime_where_conventions_matter(int variant, int opset)
    {
        using var cpu = new CpuAccelerator();
        using var m = Conventions(cpu, variant);
        string path = Path.Combine(_dir, $"conventions{variant}-{opset}.onnx");
        OnnxExporter.Save(OnnxExporter.Build(m, null, opset), path);
        const int n = 5;
        var x = OnnxRun.Random(n, m.InputShape, 11);
        using var tx = cpu.FromHost(x, [n, .. m.InputShape]);
        OnnxRun.Same(m.Forward(tx, training: false).ToArray(), OnnxRun.Run(path, x, n, m.InputShape), m.Classes,
            $"conventions model {variant}, opset {opset}");
    }

    // graphs: add (residual connections), concat (Inception modules), convolutions without bias, batch norm with
    // running statistics of its own (not the initial 0 and 1)
    [Theory]
    [InlineData("resnet20")]
    [InlineData("inception-small")]
    [InlineData("tiny-res")]
    public void Graph_networks_agree_with_ONNX_Runtime(string name)
    {
        using var cpu = new CpuAccelerator();
        var d = name == "tiny-res" ? GpuNet.Networks.NetworkDescription.Parse(
            GpuNet.Tests.Networks.NetworkFileTests.Residual, "tiny-res.yaml") : ModelZoo.Describe(name);
        using var m = d.Build(cpu);
        Initializer.Apply(m, InitScheme.He, new Rng(3));
        var r = new Random(5);
        foreach (var p in m.Parameters.Where(p => p.Role is not (ParameterRole.Weight or ParameterRole.Bias)))
            p.Data.CopyFrom(Enumerable.Range(0, p.Data.Length).Select(_ => (float)(0.5 + r.NextDouble())).ToArray());
        string path = Path.Combine(_dir, $"{name}.onnx");
        OnnxExporter.Save(OnnxExporter.Build(m), path);
        const int n = 3;
        var x = OnnxRun.Random(n, m.InputShape, 13);
        using var tx = cpu.FromHost(x, [n, .. m.InputShape]);
        OnnxRun.Same(m.Forward(tx, training: false).ToArray(), OnnxRun.Run(path, x, n, m.InputShape), m.Classes,
            $"{name} in ONNX Runtime");
    }

    private sealed class Mystery(string name) : Layer(name)
    {
        public override string Kind => "Mystery";
        protected override int[] SetupInternal(int[] s) => s;
        public override GpuNet.Runtime.Tensor Forward(GpuNet.Runtime.Tensor x, bool training) => x;
        public override GpuNet.Runtime.Tensor? Backward(GpuNet.Runtime.Tensor dy) => dy;
    }

    [Fact]
    public void An_unknown_layer_kind_is_named_with_the_opset_and_nothing_is_written()
    {
        using var cpu = new CpuAccelerator();
        using var m = new Model("odd", cpu, [2, 4, 4],
            [new Conv2d("conv", 2, 3), new Mystery("oracle"), new Dense("out", 2)]);
        var e = Assert.Throws<NotSupportedException>(() => OnnxExporter.Build(m, null, 15));
        Assert.Contains("layer 'oracle' (Mystery)", e.Message);
        Assert.Contains("opset 15", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => OnnxExporter.Build(m, null, 12));
        Assert.Contains("opsets 13 to 23", bad.Message);
    }

    [Fact]
    public void Save_replaces_the_file_whole_and_leaves_no_temporary_file()
    {
        using var cpu = new CpuAccelerator();
        using var m = Conventions(cpu, 1);
        string path = Path.Combine(_dir, "m.onnx");
        File.WriteAllText(path, "old");
        long bytes = OnnxExporter.Save(OnnxExporter.Build(m), path);
        Assert.Equal(new FileInfo(path).Length, bytes);
        Assert.Equal([path], Directory.GetFiles(_dir));
        Assert.Throws<DirectoryNotFoundException>(
            () => OnnxExporter.Save(OnnxExporter.Build(m), Path.Combine(_dir, "no", "m.onnx")));
    }
}

/// <summary>The exported files pass ONNX's own checker with full_check (shape inference included).</summary>
[RequiresAccelerator("python3-onnx")]
public sealed class OnnxCheckerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-onnx-check").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [AcceleratorTheory]
    [InlineData("lenet5")]
    [InlineData("alexnet-small")]
    [InlineData("conventions0")]
    [InlineData("conventions1")]
    [InlineData("resnet20")]
    [InlineData("inception-small")]
    public void The_ONNX_checker_passes_with_full_check(string name)
    {
        using var cpu = new CpuAccelerator();
        bool own = name.StartsWith("conventions");
        using var m = own ? OnnxConventionTests.Conventions(cpu, name[^1] - '0') : ModelZoo.Create(name, cpu);
        if (!own) Initializer.Apply(m, InitScheme.He, new Rng(1));
        int c = m.InputShape[0];
        var pre = new Preprocessing(m.Name, m.InputShape, new float[c], Enumerable.Repeat(1f, c).ToArray(),
            Enumerable.Range(0, m.Classes).Select(i => $"c{i}").ToArray(), "");
        string path = Path.Combine(_dir, name + ".onnx");
        OnnxExporter.Save(OnnxExporter.Build(m, pre), path);
        var (code, output) = PythonOnnx.Check(path);
        Assert.True(code == 0, output);
        Assert.Contains("ok 8 17", output);
    }
}

using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Networks;

/// <summary>The network-file format: reading, writing, the builder, and one clear error per kind of bad file.</summary>
public sealed class NetworkFileTests
{
    // a residual block and an Inception-style join, every feature of the format in one small file
    internal const string Residual = """
        # a small residual network
        name: tiny-res
        input:
          shape: [3, 8, 8]
          train_transform: "resize:9,random-crop:8,flip"
          eval_transform: "resize:9,center-crop:8"
        classes: 4
        training:
          epochs: 2
          lr: 0.05
        layers:
          - {name: conv1, type: conv, filters: 4, kernel: 3, padding: 1, weight_init: he, bias_init: 0.5}
          - {name: bn1, type: batchnorm}
          - {name: relu1, type: relu}
          - name: conv2
            type: conv
            filters: 4
            kernel: 3
            padding: 1
            bias: false
          - {name: sum, type: add, inputs: [conv2, relu1]}
          - {name: relu2, type: relu}
          - {name: branch, type: conv, inputs: [relu2], filters: 2, kernel: 1}
          - {name: pool, type: maxpool, inputs: relu2, kernel: 3, stride: 1, padding: 1}
          - {name: join, type: concat, inputs: [branch, pool]}
          - {name: gap, type: global_avgpool}
          - {name: drop, type: dropout, p: 0.25}
          - {name: fc, type: dense, units: classes}
        """;

    internal static NetworkDescription ResidualBuilt() =>
        Network.Describe("tiny-res", 3, 8, 8).WithClasses(4)
            .WithTransforms("resize:9,random-crop:8,flip", "resize:9,center-crop:8")
            .WithTraining("epochs", 2).WithTraining("lr", 0.05)
            .Conv("conv1", 4, 3, padding: 1, weightInit: "he", biasInit: "0.5").BatchNorm("bn1").Relu("relu1")
            .Conv("conv2", 4, 3, padding: 1, bias: false)
            .Add("sum", "conv2", "relu1").Relu("relu2")
            .Conv("branch", 2, 1, inputs: ["relu2"]).MaxPool("pool", 3, stride: 1, padding: 1, input: "relu2")
            .Concat("join", "branch", "pool").GlobalAvgPool("gap").Dropout("drop", 0.25f)
            .Dense("fc", Network.Classes)
            .Build();

    [Fact]
    public void A_file_reads_into_the_description_the_builder_makes_and_both_round_trip()
    {
        var read = NetworkDescription.Parse(Residual, "tiny-res.yaml");
        var built = ResidualBuilt();
        Assert.Equal(built, read);
        Assert.Equal(built.ToYaml(), read.ToYaml());
        var again = NetworkDescription.Parse(built.ToYaml(), "again.yaml");
        Assert.Equal(built, again);
        Assert.Equal(["conv2", "relu1"], again.Layers.Single(l => l.Name == "sum").Inputs);
        Assert.Equal([2, 0.05f], TrainingOf(again));

        using var cpu = new CpuAccelerator();
        using var m = read.Build(cpu);
        Assert.Equal([4], m.OutputShape);
        Assert.Equal([6, 8, 8], m.Layers.Single(l => l.Name == "join").OutputShape);
        var conv1 = (Conv2d)m.Layers[0];
        Assert.Equal(new InitSpec(InitKind.He), conv1.Weight.Init);
        Assert.Equal(new InitSpec(InitKind.Constant, 0.5), conv1.Bias!.Init);
        Assert.Null(((Conv2d)m.Layers[3]).Bias);
    }

    private static float[] TrainingOf(NetworkDescription d)
    {
        var o = GpuNet.Training.TrainOptions.ForNetwork(d);
        return [o.Epochs, o.LearningRate];
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("alexnet")]
    [InlineData("alexnet-small")]
    [InlineData("resnet20")]
    [InlineData("inception-small")]
    public void Every_shipped_network_writes_a_file_that_reads_back_equal(string name)
    {
        var d = ModelZoo.Describe(name);
        var back = NetworkDescription.Parse(d.ToYaml(), "written.yaml");
        Assert.Equal(d, back);
        Assert.Equal(d.Layers.Select(l => l.Name), back.Layers.Select(l => l.Name));
    }

    // the documentation's examples (docs/networks) read and build as they are shown
    [Fact]
    public void The_documented_example_files_build()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GpuNet.sln"))) dir = dir.Parent;
        var files = Directory.GetFiles(Path.Combine(dir!.FullName, "docs", "networks"), "*.yaml");
        Assert.True(files.Length >= 5, "docs/networks holds the examples");
        using var cpu = new CpuAccelerator();
        foreach (var f in files)
        {
            var d = NetworkDescription.Load(f);
            using var m = d.Build(cpu);
            Assert.Equal(d, NetworkDescription.Parse(d.ToYaml(), f));
        }
    }

    [Fact]
    public void Values_that_need_quotes_survive_the_round_trip()
    {
        var d = Network.Describe("q", 2).WithTransforms("", "resize:9, center-crop:8")
            .Layer("fc", "dense", null, ("units", 3), ("weight_init", "gaussian:0.01")).Build();
        var back = NetworkDescription.Parse(d.ToYaml(), "q.yaml");
        Assert.Equal("", back.TrainTransform);
        Assert.Equal("resize:9, center-crop:8", back.EvalTransform);
        Assert.Equal("gaussian:0.01", back.Layers[0].Setting("weight_init")!.Scalar);
    }

    // --- bad files: one error each, naming the file, line and column, the layer, the value and what is expected

    private static NetworkFileException Bad(string layers, string input = "[3, 8, 8]")
    {
        string text = $"name: bad\ninput:\n  shape: {input}\nlayers:\n{layers}";
        return Assert.Throws<NetworkFileException>(() =>
        {
            using var cpu = new CpuAccelerator();
            NetworkDescription.Parse(text, "bad.yaml").Build(cpu).Dispose();
        });
    }

    [Fact]
    public void An_unknown_layer_type_lists_the_known_ones()
    {
        var e = Bad("  - {name: c, type: convolution, filters: 2, kernel: 3}\n");
        Assert.StartsWith("bad.yaml:5:21: layer 'c' has unknown type 'convolution'", e.Message);
        Assert.Contains("known types: add, avgpool, batchnorm, concat, conv, dense, dropout, flatten", e.Message);
        e = Bad("  - {name: c, type: dens, units: 2}\n");
        Assert.Contains("unknown type 'dens' (did you mean 'dense'?)", e.Message);
    }

    [Fact]
    public void A_typo_in_a_setting_is_not_ignored()
    {
        var e = Bad("  - {name: c, type: conv, filters: 2, kernel: 3, strid: 2}\n");
        Assert.Equal("bad.yaml:5:57: layer 'c' (conv) has unknown setting 'strid' (did you mean 'stride'?); conv " +
            "takes filters, kernel, stride, padding, groups, bias, weight_init, bias_init", e.Message);
        e = Bad("  - {name: r, type: relu, slope: 0.1}\n");
        Assert.Contains("relu takes none besides name, type and inputs", e.Message);
    }

    [Fact]
    public void Inputs_must_name_earlier_layers_and_a_cycle_is_named()
    {
        var e = Bad("  - {name: a, type: relu}\n  - {name: b, type: add, inputs: [a, nope]}\n");
        Assert.Equal("bad.yaml:6:34: layer 'b' reads 'nope', which is no layer of the network", e.Message);
        e = Bad("  - {name: a, type: relu, inputs: [b]}\n  - {name: b, type: relu}\n");
        Assert.Contains("bad.yaml:5:35: layer 'a' reads 'b', which comes later (at 6:5) and itself reads 'a': a cycle",
            e.Message);
        e = Bad("  - {name: a, type: relu}\n  - {name: b, type: relu, inputs: [c]}\n  - {name: c, type: relu, " +
            "inputs: [a]}\n  - {name: d, type: add, inputs: [b, c]}\n");
        Assert.Contains("layer 'b' reads 'c', which comes later (at 7:5); a layer reads earlier layers only",
            e.Message);
        e = Bad("  - {name: a, type: relu, inputs: [a]}\n");
        Assert.Contains("layer 'a' reads itself: a cycle", e.Message);
        e = Bad("  - {name: a, type: relu}\n  - {name: b, type: relu, inputs: [input]}\n");
        Assert.Equal("bad.yaml:5:5: layer 'a' is read by no later layer; every layer but the last (the network's " +
            "output, here 'b') must feed another — is an 'inputs:' list missing it?", e.Message);
    }

    [Fact]
    public void Duplicate_names_are_refused_with_both_places()
    {
        var e = Bad("  - {name: a, type: relu}\n  - {name: a, type: relu}\n");
        Assert.Equal("bad.yaml:6:12: layer name 'a' is used twice (first at 5:5); names must be unique", e.Message);
    }

    [Fact]
    public void Shapes_that_do_not_meet_at_add_or_concat_are_both_named()
    {
        var e = Bad("  - {name: a, type: conv, filters: 2, kernel: 3}\n  - {name: b, type: conv, inputs: [input], " +
            "filters: 2, kernel: 1}\n  - {name: s, type: add, inputs: [a, b]}\n");
        Assert.Equal("bad.yaml:7:5: layer 's' (add): add needs inputs of one shape, got (2, 6, 6) from 'a' and " +
            "(2, 8, 8) from 'b'", e.Message);
        e = Bad("  - {name: a, type: conv, filters: 2, kernel: 3}\n  - {name: b, type: conv, inputs: [input], " +
            "filters: 3, kernel: 1}\n  - {name: s, type: concat, inputs: [a, b]}\n");
        Assert.Contains("layer 's' (concat): concat joins inputs along channels, so every other dimension must " +
            "agree; got (2, 6, 6) from 'a' and (3, 8, 8) from 'b'", e.Message);
        e = Bad("  - {name: a, type: relu}\n  - {name: s, type: add}\n");
        Assert.Contains("layer 's' (add) reads at least 2 inputs, got 1 (the layer above); list them in 'inputs:'",
            e.Message);
    }

    [Fact]
    public void A_kernel_larger_than_its_input_is_named_with_the_sizes()
    {
        var e = Bad("  - {name: c, type: conv, filters: 2, kernel: 9, stride: 2}\n");
        Assert.Contains("layer 'c' (conv): a 9x9 kernel does not fit a 8x8 input padded by 0,0", e.Message);
        e = Bad("  - {name: p, type: maxpool, kernel: 9, stride: 2}\n");
        Assert.Contains("layer 'p' (maxpool): a 9x9 window does not fit a 8x8 input", e.Message);
        e = Bad("  - {name: n, type: lrn, size: 4}\n");
        Assert.Contains("layer 'n' (lrn): size is 4, expected an odd number", e.Message);
        e = Bad("  - {name: pool, type: maxpool, kernel: 2}\n  - {name: c, type: conv, filters: 2, kernel: 5}\n");
        Assert.Equal("bad.yaml:6:5: layer 'c' (conv): a 5x5 kernel does not fit a 4x4 input padded by 0,0; make the " +
            "kernel smaller, pad the input or take out a pooling layer before it", e.Message);
    }

    [Fact]
    public void Missing_and_malformed_settings_say_what_is_expected()
    {
        var e = Bad("  - {name: c, type: conv, filters: 2}\n");
        Assert.Equal("bad.yaml:5:5: layer 'c' (conv): needs 'kernel' (square kernel size); add 'kernel: …' to the " +
            "layer", e.Message);
        e = Bad("  - {name: c, type: conv, filters: two, kernel: 3}\n");
        Assert.Equal("bad.yaml:5:36: layer 'c' (conv): filters is 'two', expected a positive integer or 'classes'",
            e.Message);
        e = Bad("  - {name: c, type: conv, filters: 2, kernel: 3, bias: yes}\n");
        Assert.Contains("bias is 'yes', expected true or false", e.Message);
        e = Bad("  - {name: d, type: dropout, p: 1}\n");
        Assert.Contains("p is 1, expected a number in [0, 1)", e.Message);
        e = Bad("  - {name: c, type: conv, filters: 2, kernel: 3, weight_init: glorious}\n");
        Assert.Contains("weight_init is 'glorious', expected uniform, xavier, he, gaussian:STD, constant:VALUE or a " +
            "number", e.Message);
        e = Bad("  - {name: c, type: conv, filters: [2, 3], kernel: 3}\n");
        Assert.Contains("filters is [2, 3], expected a positive integer or 'classes'", e.Message);
    }

    [Theory]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\nlayers: [{name: a, type: relu}]\nextra: 1\n",
        "bad.yaml:4:1: unknown key 'extra' in the network file; expected name, input, classes, training, layers")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\nlayer: [{name: a, type: relu}]\n",
        "bad.yaml:3:1: unknown key 'layer' in the network file (did you mean 'layers'?)")]
    [InlineData("name: x\nlayers: [{name: a, type: relu}]\n", "bad.yaml:1:1: the network has no 'input:'")]
    [InlineData("name: x\ninput: {shape: [3, 0, 8]}\nlayers: [{name: a, type: relu}]\n",
        "bad.yaml:2:20: an input dimension is '0', expected an integer of at least 1")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\nlayers: [{type: relu}]\n",
        "bad.yaml:3:10: a layer has no 'name:'")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\nlayers:\n  - {name: a, type: relu\n",
        "bad.yaml:5:1: not valid YAML")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\ntraining: {lr: -1}\nlayers: [{name: a, type: relu}]\n",
        "bad.yaml:3:16: training lr: '-1' is not a positive number")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8]}\nlayers: [{name: a, type: relu, k: {x: 1}}]\n",
        "bad.yaml:3:35: setting 'k' must be a value or a list, got a mapping")]
    [InlineData("", "bad.yaml: the file is empty")]
    [InlineData("name: x\ninput: {shape: [3, 8, 8], eval_transform: flip}\nlayers: [{name: a, type: relu}]\n",
        "bad.yaml:2:43: input eval_transform 'flip': it has random steps")]
    [InlineData("name: t\ninput:\n  shape: [3, 8, 8]\nlayers:\n  - {name: c, type: conv, filters: 4, kernel: 3\n" +
        "  - {name: fc, type: dense, units: classes}\n", "bad.yaml")]
    public void Structural_errors_name_the_line_and_column(string text, string expected)
    {
        var e = Assert.Throws<NetworkFileException>(() => NetworkDescription.Parse(text, "bad.yaml"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void The_builder_checks_what_a_file_would()
    {
        var e = Assert.Throws<NetworkFileException>(() =>
            Network.Describe("b", 3, 8, 8).Relu("a").Add("s", "a", "missing").Build());
        Assert.Equal("network 'b': layer 's' reads 'missing', which is no layer of the network", e.Message);
        Assert.Throws<ArgumentException>(() => Network.Describe("b", 3, 8, 8).WithTraining("lr", "fast"));
    }
}

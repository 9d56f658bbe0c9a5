using GpuNet.Data;
using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;
using GpuNet.Tests.Export;
using GpuNet.Training;

namespace GpuNet.Tests.Networks;

/// <summary>A layer type of a user's own: y = factor · x, registered once under "scale".</summary>
public sealed class Scale(string name, float factor) : BufferedLayer(name)
{
    private static readonly Lazy<bool> Registered = new(() =>
    {
        LayerTypes.Register(new LayerType
        {
            Name = "scale", Summary = "y = factor · x",
            Settings = [new SettingSpec("factor", "a number", "2", "the factor")],
            Create = a => new Scale(a.Name, a.Float("factor")),
        });
        return true;
    });

    public static void Register() => _ = Registered.Value;
    public override string Kind => "Scale";
    protected override int[] SetupInternal(int[] s) => s;

    public override Tensor Forward(Tensor x, bool training)
    {
        var y = Output(x.Shape[0]);
        if (y.Rank != x.Rank) y = y.View(x.Shape);
        Accelerator.Copy(x, y);
        Accelerator.Scale(y, factor);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var dx = InputGradient(dy.Shape[0]);
        if (dx.Rank != dy.Rank) dx = dx.View(dy.Shape);
        Accelerator.Copy(dy, dx);
        Accelerator.Scale(dx, factor);
        return dx;
    }
}

/// <summary>Described networks through training, checkpoints and restore, as a C# caller uses them.</summary>
public sealed class NetworkRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-networks").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void A_registered_layer_type_works_from_files_the_builder_and_checkpoints()
    {
        Scale.Register();
        var e = Assert.Throws<ArgumentException>(() => LayerTypes.Register(new LayerType
        {
            Name = "conv", Summary = "again", Create = a => new Flatten(a.Name),
        }));
        Assert.Contains("'conv' is already registered", e.Message);
        Assert.Contains("scale", LayerTypes.Names);
        const string text = "name: own\ninput: {shape: [1, 2, 2]}\nclasses: 3\nlayers:\n" +
            "  - {name: fc, type: dense, units: 5}\n  - {name: s, type: scale, factor: 0.5}\n" +
            "  - {name: out, type: dense, units: classes}\n";
        var file = NetworkDescription.Parse(text, "own.yaml");
        var built = Network.Describe("own", 1, 2, 2).WithClasses(3).Dense("fc", 5).Layer("s", "scale", null,
            ("factor", 0.5f)).Dense("out", Network.Classes).Build();
        Assert.Equal(file, built);

        using var cpu = new CpuAccelerator();
        using var m = file.Build(cpu);
        Assert.IsType<Scale>(m.Layers[1]);
        Initializer.Apply(m, InitScheme.Xavier, new Rng(3));
        string path = Path.Combine(_dir, "own.ckpt");
        OnnxRun.SaveCheckpoint(m, path, ["a", "b", "c"], [0f], [1f], "");
        using var restored = TrainedModel.Open(path, cpu);
        var x = new float[] { 1, -2, 0.5f, 3 };
        Assert.Equal(m.Forward(x, 1, false).ToArray(), restored.Network.Forward(x, 1, false).ToArray());
        Assert.Equal(file, restored.Description.WithFile("own.yaml"));
    }

    [Fact]
    public void A_checkpoint_whose_description_does_not_match_its_tensors_is_one_clear_error()
    {
        using var cpu = new CpuAccelerator();
        using var m = Network.Describe("mismatch", 4).Dense("fc", 5).Dense("out", 3).Build().Build(cpu);
        string path = Path.Combine(_dir, "m.ckpt");
        OnnxRun.SaveCheckpoint(m, path, ["a", "b", "c"], [0f], [1f], "");
        // the description edited in the file (fc 5 → 6 units), its tensors as they were
        var file = Checkpoint.Read(path);
        var meta = new Dictionary<string, string>(file.Metadata.Where(kv => kv.Key is not ("format" or
            Checkpoint.ChecksumKey)))
        {
            [Checkpoint.NetworkKey] = file.Metadata[Checkpoint.NetworkKey].Replace("units: 5", "units: 6"),
        };
        Checkpoint.Save(path, meta, file.Tensors.Select(t => (t.Key, t.Value.Shape, (Func<float[]>)(() =>
            t.Value.Data))));
        var e = Assert.Throws<NetworkFileException>(() => TrainedModel.Open(path, cpu));
        Assert.Equal($"{path}: its network description does not match its tensors: tensor 'fc.weight' has shape " +
            "(5, 4), the description's fc.weight (layer 'fc') needs (6, 4)", e.Message);
    }

    private string Shapes(int perClass, int testPerClass, int size)
    {
        string dir = Path.Combine(_dir, "shapes");
        if (!Directory.Exists(dir)) SyntheticShapes.Write(dir, perClass, testPerClass, size, seed: 2);
        return dir;
    }

    // A network of one's own, built in C#, through the whole job: checkpoints with its description, metrics, charts,
    // resume after the description is gone, and restore for evaluation.
    [Fact]
    public void A_network_built_in_CSharp_trains_resumes_and_restores_like_a_shipped_one()
    {
        var d = Network.Describe("mine", 3, 16, 16)
            .WithTransforms("resize:16,center-crop:16", "resize:16,center-crop:16")
            .Conv("c1", 8, 3, padding: 1).BatchNorm("b1").Relu("r1")
            .Conv("c2", 8, 3, padding: 1).Add("sum", "c2", "r1").Relu("r2")
            .MaxPool("p", 2).GlobalAvgPool("g").Dense("fc", Network.Classes).Build();
        string data = Shapes(12, 3, 24), run = Path.Combine(_dir, "run"), again = Path.Combine(_dir, "again");
        var o = new TrainOptions { Data = data, Epochs = 2, Batch = 16, Seed = 4, Out = run, Init = "he" };
        var whole = Trainer.Run(o with { Out = again }, NullObserver.Instance, network: d);
        Trainer.Run(o with { Epochs = 1 }, NullObserver.Instance, network: d);
        var resumed = Trainer.Run(Trainer.ResumeOptions(run) with { Epochs = 2 }, NullObserver.Instance, resume: true);
        Assert.Equal(whole.History[^1].TrainLoss, resumed.History[^1].TrainLoss);
        foreach (var f in new[] { "last.ckpt", "best.ckpt", "metrics.csv", "curves.png", "curves.svg" })
            Assert.True(File.Exists(Path.Combine(run, f)), f);
        var a = Checkpoint.Read(Path.Combine(run, "last.ckpt"));
        var b = Checkpoint.Read(Path.Combine(again, "last.ckpt"));
        foreach (var (name, t) in b.Tensors) Assert.Equal(t.Data, a.Tensors[name].Data);
        Assert.Equal("mine", a.Metadata["model"]);
        using var cpu = new CpuAccelerator();
        using var tm = TrainedModel.Open(Path.Combine(run, "best.ckpt"), cpu);
        Assert.Equal(d, tm.Description.WithFile(d.File));
        Assert.Equal(10, tm.Classes.Length);
    }

    [Theory]
    [InlineData("resnet20", 8, 0.4)]
    [InlineData("inception-small", 15, 0.35)]
    public void The_graph_networks_learn_the_shapes_well_above_chance(string model, int epochs, double atLeast)
    {
        string data = Shapes(60, 10, 40);
        var o = TrainOptions.ForModel(model) with
        {
            Data = data,
            Epochs = epochs,
            Seed = 1,
            Out = Path.Combine(_dir,
            model)
        };
        var r = Trainer.Run(o, NullObserver.Instance);
        Assert.True(r.Test!.Accuracy >= atLeast, $"{model}: test accuracy {r.Test.Accuracy:P1} on 10 classes");
    }
}

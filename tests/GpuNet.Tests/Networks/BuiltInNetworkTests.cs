using GpuNet.Layers;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Networks;

/// <summary>
/// The constructions the shipped network files replaced, frozen here as they were written in C# (ModelZoo's LeNet-5,
/// AlexNetSpec.Grouped and its initial biases), so the files can be held to them.
/// </summary>
internal static class LegacyZoo
{
    public static Model Create(string name, Accelerator acc, int classes) => name switch
    {
        "lenet5" => new Model(name, acc, [1, 32, 32],
        [
            new Conv2d("conv1", 6, 5), new Activation("relu1", ActivationKind.Relu), new Pool2d("pool1", true, 2, 2),
            new Conv2d("conv2", 16, 5), new Activation("relu2", ActivationKind.Relu), new Pool2d("pool2", true, 2, 2),
            new Conv2d("conv3", 120, 5), new Activation("relu3", ActivationKind.Relu), new Flatten("flatten"),
            new Dense("fc1", 84), new Activation("relu4", ActivationKind.Relu), new Dense("fc2", classes),
        ]),
        "alexnet" => new Model(name, acc, [3, 227, 227], AlexNet(classes, 1, 1)),
        _ => new Model(name, acc, [3, 67, 67], AlexNet(classes, 4, 16)),
    };

    private static IEnumerable<Layer> AlexNet(int classes, int convDiv, int fcDiv)
    {
        (int F, int K, int S, int P, int G, bool Norm, bool Pool)[] convs =
        [
            (96, 11, 4, 0, 1, true, true), (256, 5, 1, 2, 2, true, true), (384, 3, 1, 1, 1, false, false),
            (384, 3, 1, 1, 2, false, false), (256, 3, 1, 1, 2, false, true),
        ];
        var lrn = new LrnParameters(5, 1e-4f, 0.75f, 2f, Groups: 2);
        for (int i = 0; i < convs.Length; i++)
        {
            var c = convs[i];
            int n = i + 1;
            yield return new Conv2d($"conv{n}", c.F / convDiv, c.K, c.S, c.P, c.G);
            yield return new Activation($"relu{n}", ActivationKind.Relu);
            if (c.Norm) yield return new Lrn($"norm{n}", lrn);
            if (c.Pool) yield return new Pool2d($"pool{n}", true, 3, 2);
        }
        yield return new Flatten("flatten");
        for (int n = 6; n <= 7; n++)
        {
            yield return new Dense($"fc{n}", 4096 / fcDiv);
            yield return new Activation($"relu{n}", ActivationKind.Relu);
            yield return new Dropout($"drop{n}", 0.5f, (uint)n);
        }
        yield return new Dense("fc8", classes);
    }

    /// <summary>AlexNetSpec.InitialBias: 1 on conv2, conv4, conv5, fc6 and fc7 under the AlexNet scheme.</summary>
    public static readonly string[] BiasOne = ["conv2.bias", "conv4.bias", "conv5.bias", "fc6.bias", "fc7.bias"];

    /// <summary>The initialiser as it was: element by element in parameter order.</summary>
    public static void Initialize(Model m, InitScheme scheme, Rng rng)
    {
        foreach (var p in m.Parameters)
        {
            if (p.Role is not (ParameterRole.Weight or ParameterRole.Bias)) continue;
            var host = new float[p.Data.Length];
            bool bias = p.Role == ParameterRole.Bias;
            float alexBias = m.Name.StartsWith("alexnet") && BiasOne.Contains(p.Name) ? 1f : 0f;
            for (int i = 0; i < host.Length; i++)
                host[i] = scheme switch
                {
                    InitScheme.Uniform or InitScheme.File => rng.Uniform(-1f, 1f) / MathF.Sqrt(p.FanIn),
                    InitScheme.Xavier => bias ? 0f : rng.Uniform(-1f, 1f) * MathF.Sqrt(6f / (p.FanIn + p.FanOut)),
                    InitScheme.He => bias ? 0f : (float)(rng.NextGaussian() * Math.Sqrt(2.0 / p.FanIn)),
                    _ => bias ? alexBias : (float)(rng.NextGaussian() * 0.01),
                };
            p.Data.CopyFrom(host);
        }
    }
}

/// <summary>The shipped files build the networks the C# constructions built.</summary>
public sealed class BuiltInNetworkTests
{
    // lenet5 under every scheme; the AlexNets under theirs (the file's bias_init: 1 on conv2, conv4, conv5, fc6, fc7)
    // and He, the recipe's (every parameter by the scheme, as before)
    [Theory]
    [InlineData("lenet5", InitScheme.Uniform)]
    [InlineData("lenet5", InitScheme.Xavier)]
    [InlineData("lenet5", InitScheme.He)]
    [InlineData("lenet5", InitScheme.AlexNet)]
    [InlineData("lenet5", InitScheme.File)]
    [InlineData("alexnet-small", InitScheme.AlexNet)]
    [InlineData("alexnet-small", InitScheme.He)]
    [InlineData("alexnet", InitScheme.AlexNet)]
    public void Shipped_files_give_the_names_shapes_initial_values_and_logits_of_the_old_construction(string name,
        InitScheme scheme)
    {
        using var cpu = new CpuAccelerator();
        int classes = name == "alexnet" ? 1000 : 7;
        using var file = ModelZoo.Create(name, cpu, classes);
        using var old = LegacyZoo.Create(name, cpu, classes);
        Assert.Equal(old.Layers.Select(l => (l.Name, l.Kind, l.Details)), file.Layers.Select(l => (l.Name, l.Kind,
            l.Details)));
        Assert.Equal(old.Parameters.Select(p => (p.Name, Shapes.Format(p.Data.Shape), p.Trainable)),
            file.Parameters.Select(p => (p.Name, Shapes.Format(p.Data.Shape), p.Trainable)));
        Initializer.Apply(file, scheme, new Rng(9));
        LegacyZoo.Initialize(old, scheme, new Rng(9));
        foreach (var (p, q) in file.Parameters.Zip(old.Parameters))
        {
            Assert.True(q.Data.ToArray().SequenceEqual(p.Data.ToArray()), $"{p.Name} differs");
        }
        int n = 2;
        var x = Enumerable.Range(0, n * Shapes.Product(file.InputShape)).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        Assert.Equal(old.Forward(x, n, training: false).ToArray(), file.Forward(x, n, training: false).ToArray());
    }

    [Fact]
    public void ResNet20_is_the_CIFAR_network_with_projection_shortcuts()
    {
        using var cpu = new CpuAccelerator();
        using var m = ModelZoo.Create("resnet20", cpu);
        Assert.Equal(19, m.Layers.OfType<Conv2d>().Count(c => c.Kernel == 3));   // 6n + 1 with n = 3, plus the fc
        Assert.Equal(2, m.Layers.OfType<Conv2d>().Count(c => c.Kernel == 1));    // option B where the width doubles
        Assert.Equal(9, m.Layers.OfType<Add>().Count());
        Assert.Equal([64, 8, 8], m.Layers.Single(l => l.Name == "s3b3_relu2").OutputShape);
        Assert.Equal(40_813_184, m.Layers.Sum(l => l.MultiplyAccumulates));
    }

    [Fact]
    public void The_inception_network_joins_four_branches_per_module()
    {
        using var cpu = new CpuAccelerator();
        using var m = ModelZoo.Create("inception-small", cpu);
        var joins = m.Layers.OfType<Concat>().ToList();
        Assert.Equal(2, joins.Count);
        Assert.All(joins, j => Assert.Equal(4, j.InputShapes.Count));
        Assert.Equal([56, 16, 16], joins[0].OutputShape);
        Assert.Equal([112, 8, 8], joins[1].OutputShape);
    }

    [Fact]
    public void An_unknown_model_lists_the_shipped_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Describe("resnet"));
        Assert.Equal("unknown model 'resnet'; known models: alexnet, alexnet-small, inception-small, lenet5, " +
            "resnet20 (or give a network file with --network FILE.yaml)", e.Message);
    }
}

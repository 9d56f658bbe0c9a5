using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Models;

public sealed class ModelTests
{
    [Theory]
    [InlineData("lenet5", 61_706)]
    [InlineData("alexnet", 60_965_224)]
    [InlineData("resnet20", 272_474)]   // option B shortcuts (the 1x1 projections: 2,752)
    public void Parameter_counts_match_the_papers(string name, long expected)
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create(name, acc);
        Assert.Equal(expected, m.ParameterCount);
    }

    [Fact]
    public void AlexNet_layer_shapes_follow_the_2012_network()
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create("alexnet", acc);
        var shape = m.Layers.ToDictionary(l => l.Name, l => l.OutputShape);
        Assert.Equal([96, 55, 55], shape["conv1"]);
        Assert.Equal([96, 27, 27], shape["pool1"]);
        Assert.Equal([256, 27, 27], shape["conv2"]);
        Assert.Equal([256, 13, 13], shape["pool2"]);
        Assert.Equal([384, 13, 13], shape["conv4"]);
        Assert.Equal([256, 6, 6], shape["pool5"]);
        Assert.Equal([4096], shape["fc7"]);
        Assert.Equal([1000], shape["fc8"]);
        Assert.Equal(2, m.Layers.OfType<Conv2d>().Single(c => c.Name == "conv2").Groups);
        Assert.Equal(1, m.Layers.OfType<Conv2d>().Single(c => c.Name == "conv3").Groups);
    }

    [Fact]
    public void AlexNet_small_keeps_the_topology_and_runs_forward_and_backward()
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create("alexnet-small", acc, 5);
        Assert.Contains(m.Layers, l => l is Lrn);
        Assert.Contains(m.Layers, l => l is Dropout);
        Assert.Equal(2, m.Layers.OfType<Conv2d>().Count(c => c.Groups == 2) - 1);   // conv2, conv4, conv5 grouped
        Initializer.Apply(m, InitScheme.AlexNet, new Rng(1));
        using var x =
            acc.FromHost(Enumerable.Range(0, 2 * 3 * 67 * 67).Select(i => MathF.Sin(i)).ToArray(), 2, 3, 67, 67);
        var y = m.Forward(x, training: true);
        Assert.Equal([2, 5], y.Shape);
        using var loss = new GpuNet.Losses.Loss(acc, GpuNet.Losses.LossKind.SoftmaxCrossEntropy);
        loss.Forward(y, [1, 3]);
        m.Backward(loss.Backward());
        Assert.All(m.Parameters.Where(p => p.Trainable),
            p => Assert.All(p.Grad!.ToArray(), v => Assert.True(float.IsFinite(v))));
        Assert.Contains(m.Parameters, p => p.Name == "fc8.weight" && p.Grad!.ToArray().Any(v => v != 0));
    }

    // The ReLU after each convolution runs as the convolution's epilogue; the network computes exactly what it computed
    // with a ReLU layer of its own: the same logits and the same gradient of every parameter, to the bit.
    [Theory]
    [InlineData("lenet5", 1, 32)]
    [InlineData("alexnet-small", 3, 67)]
    public void Convolutions_with_the_relu_epilogue_compute_what_separate_relu_layers_compute(string name, int c,
        int size)
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create(name, acc, 5);
        Assert.All(m.Layers.OfType<Conv2d>(), conv => Assert.True(conv.FusedRelu, conv.Name));
        Initializer.Apply(m, InitScheme.AlexNet, new Rng(1));
        using var x = acc.FromHost(Enumerable.Range(0, 3 * c * size * size).Select(i => MathF.Sin(i)).ToArray(), 3, c,
            size, size);
        (float[] Logits, float[][] Grads) Run()
        {
            m.Step = 7;
            var y = m.Forward(x, training: true).ToArray();
            using var loss = new GpuNet.Losses.Loss(acc, GpuNet.Losses.LossKind.SoftmaxCrossEntropy);
            loss.Forward(m.Forward(x, training: true), [1, 3, 4]);
            m.Backward(loss.Backward());
            return (y, m.Parameters.Where(p => p.Trainable).Select(p => p.Grad!.ToArray()).ToArray());
        }
        var fused = Run();
        m.FuseRelu(false);
        Assert.All(m.Layers.OfType<Conv2d>(), conv => Assert.False(conv.FusedRelu, conv.Name));
        var separate = Run();
        Assert.Equal(separate.Logits, fused.Logits);
        for (int i = 0; i < fused.Grads.Length; i++) Assert.Equal(separate.Grads[i], fused.Grads[i]);
    }

    [Fact]
    public void AlexNet_init_puts_bias_one_on_conv2_conv4_conv5_and_hidden_fc()
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create("alexnet-small", acc);
        Initializer.Apply(m, InitScheme.AlexNet, new Rng(3));
        foreach (var p in m.Parameters.Where(p => p.Role == ParameterRole.Bias))
        {
            float expected = p.Name is "conv2.bias" or "conv4.bias" or "conv5.bias" or "fc6.bias" or "fc7.bias" ? 1f
                : 0f;
            Assert.All(p.Data.ToArray(), v => Assert.Equal(expected, v));
        }
        var w = m.Parameters.Single(p => p.Name == "fc6.weight").Data.ToArray();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.009, 0.011);
    }

    [Fact]
    public void Model_gradient_matches_finite_differences_of_the_loss()
    {
        // A small conv → relu → maxpool → dense → softmax-CE chain, in float: checks that layers hand gradients on
        // correctly.
        using var acc = new CpuAccelerator();
        using var m = new Model("tiny", acc, [2, 6, 6],
            [new Conv2d("c", 3, 3, 1, 1), new Activation("r", ActivationKind.Tanh), new Pool2d("p", false, 2, 2),
                new Dense("d", 4)]);
        Initializer.Apply(m, InitScheme.Xavier, new Rng(5));
        var xs = Enumerable.Range(0, 2 * 2 * 36).Select(i => MathF.Cos(i * 0.7f)).ToArray();
        using var x = acc.FromHost(xs, 2, 2, 6, 6);
        using var loss = new GpuNet.Losses.Loss(acc, GpuNet.Losses.LossKind.SoftmaxCrossEntropy);
        int[] labels = [1, 3];
        double L() => loss.Forward(m.Forward(x, true), labels);
        L();
        m.Backward(loss.Backward());
        foreach (var p in m.Parameters)
        {
            var analytic = p.Grad!.ToArray();
            var w = p.Data.ToArray();
            for (int i = 0; i < w.Length; i += Math.Max(1, w.Length / 7))
            {
                float old = w[i];
                w[i] = old + 1e-2f; p.Data.CopyFrom(w); double up = L();
                w[i] = old - 1e-2f; p.Data.CopyFrom(w); double down = L();
                w[i] = old; p.Data.CopyFrom(w);
                Assert.Equal((up - down) / 2e-2, analytic[i], 2e-3);
            }
        }
    }
}

/// <summary>AlexNet is described once (its network file): the towers hold the grouped model's layers, halved.</summary>
public sealed class AlexNetTowerTests
{
    [Theory]
    [InlineData("alexnet")]
    [InlineData("alexnet-small")]
    public void The_towers_and_the_grouped_model_come_from_one_description(string name)
    {
        using var acc = new CpuAccelerator();
        using var single = ModelZoo.Create(name, acc, 10);
        using var split = new TwoTowerAlexNet(name, acc, acc, 10);
        var towerLayers = split.Placement.Select(p => p.Layer).Where(l => l.Name.StartsWith("tower0.")).ToList();
        var singleLayers = single.Layers.Where(l => l.Name != "fc8").ToList();
        Assert.Equal(singleLayers.Select(l => (l.Name, l.Kind)),
            towerLayers.Select(l => (l.Name["tower0.".Length..], l.Kind)));
        foreach (var p in split.Parameters)
        {
            var (whole, _, _) = split.Layout(p);
            var q = single.Parameters.Single(s => s.Name == whole);
            Assert.Equal(q.Data.Length, p.Data.Length * (p.Name.StartsWith("tower") ? 2 : 1));
        }
        // AlexNet's initial biases (from the file) by single-device name, for both layouts
        Initializer.Apply(single, InitScheme.AlexNet, new Rng(1));
        split.LoadFrom(single);
        foreach (var p in split.Parameters.Where(p => p.Role == ParameterRole.Bias))
        {
            float expected = TwoTowerAlexNet.SingleName(p.Name).Name is "conv2.bias" or "conv4.bias" or "conv5.bias"
                or "fc6.bias" or "fc7.bias" ? 1f : 0f;
            Assert.All(p.Data.ToArray(), v => Assert.Equal(expected, v));
        }
    }

    [Fact]
    public void LeNet5_with_alexnet_init_keeps_zero_biases()
    {
        using var acc = new CpuAccelerator();
        using var m = ModelZoo.Create("lenet5", acc);
        Initializer.Apply(m, InitScheme.AlexNet, new Rng(2));
        Assert.All(m.Parameters.Where(p => p.Role == ParameterRole.Bias),
            p => Assert.All(p.Data.ToArray(), v => Assert.Equal(0f, v)));
    }
}

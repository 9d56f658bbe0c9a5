using GpuNet.Layers;
using GpuNet.Losses;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Optim;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Networks;

/// <summary>The graph executor: gradients through joins and shared tensors, the chain as its special case.</summary>
public sealed class GraphTests
{
    // x → conv a → tanh t; t is read three times: by an add with a second conv of t, by concat, and by the sum itself
    private static NetworkDescription Diamond() =>
        Network.Describe("diamond", 2, 5, 5).WithClasses(3)
            .Conv("a", 3, 3, padding: 1).Tanh("t")
            .Conv("b", 3, 3, padding: 1).Sigmoid("s")
            .Add("sum", "s", "t")
            .Conv("c", 2, 1, inputs: ["t"])
            .Concat("cat", "sum", "c", "t")
            .AvgPool("pool", 2, input: "cat")
            .Dense("fc", Network.Classes)
            .Build();

    [Fact]
    public void Gradients_through_add_concat_and_a_tensor_read_three_times_match_finite_differences()
    {
        using var acc = new CpuAccelerator();
        using var m = Diamond().Build(acc);
        Initializer.Apply(m, InitScheme.Xavier, new Rng(4));
        var xs = Enumerable.Range(0, 2 * 2 * 25).Select(i => MathF.Cos(i * 0.61f)).ToArray();
        using var x = acc.FromHost(xs, 2, 2, 5, 5);
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        int[] labels = [2, 0];
        double L() => loss.Forward(m.Forward(x, true), labels);
        L();
        m.Backward(loss.Backward());
        int checkedCount = 0;
        foreach (var p in m.Parameters)
        {
            var analytic = p.Grad!.ToArray();
            var w = p.Data.ToArray();
            for (int i = 0; i < w.Length; i += Math.Max(1, w.Length / 5))
            {
                float old = w[i];
                w[i] = old + 1e-2f; p.Data.CopyFrom(w); double up = L();
                w[i] = old - 1e-2f; p.Data.CopyFrom(w); double down = L();
                w[i] = old; p.Data.CopyFrom(w);
                Assert.Equal((up - down) / 2e-2, analytic[i], 2e-3);
                checkedCount++;
            }
        }
        Assert.True(checkedCount > 30);
    }

    [Fact]
    public void A_tensor_read_twice_gets_the_sum_of_both_gradients_not_the_last()
    {
        // t is read by the tanh and by the sum: dL/dt = dL/dsum · (1 + tanh'(t))
        using var acc = new CpuAccelerator();
        using var m = Network.Describe("twice", 4).Dense("t", 3).Tanh("u", "t").Add("sum", "u", "t").Dense("fc", 2)
            .Build().Build(acc);
        Initializer.Apply(m, InitScheme.Xavier, new Rng(8));
        using var x = acc.FromHost([0.3f, -0.2f, 0.5f, 0.1f], 1, 4);
        using var loss = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        loss.Forward(m.Forward(x, true), [1]);
        m.Backward(loss.Backward());
        // finite difference of t's bias, which reaches the loss through both the tanh and the identity
        var t = m.Parameters.Single(p => p.Name == "t.bias");
        var g = t.Grad!.ToArray();
        var b = t.Data.ToArray();
        b[0] += 1e-3f; t.Data.CopyFrom(b); double up = loss.Forward(m.Forward(x, true), [1]);
        b[0] -= 2e-3f; t.Data.CopyFrom(b); double down = loss.Forward(m.Forward(x, true), [1]);
        Assert.Equal((up - down) / 2e-3, g[0], 1e-3);
    }

    // The executor before graphs: layers in order forward, in reverse backward, each handing its gradient to the one
    // before. The graph executor must train a chain exactly as this did.
    private static void ChainStep(Model m, Loss loss, Optimizer opt, Tensor x, int[] labels)
    {
        Tensor h = x;
        m.Step++;
        foreach (var l in m.Layers) { l.Step = m.Step; h = l.Forward(h, true); }
        loss.Forward(h, labels);
        Tensor? d = loss.Backward();
        for (int i = m.Layers.Count - 1; i >= 0 && d is not null; i--) d = m.Layers[i].Backward(d);
        opt.Step(m.Parameters);
    }

    [Theory]
    [InlineData("lenet5")]
    [InlineData("alexnet-small")]
    public void A_chain_trains_as_the_plain_chain_did_for_50_steps(string name)
    {
        using var acc = new CpuAccelerator();
        using var graph = ModelZoo.Create(name, acc, 4);
        using var chain = ModelZoo.Create(name, acc, 4);
        Initializer.Apply(graph, InitScheme.AlexNet, new Rng(21));
        Initializer.Apply(chain, InitScheme.AlexNet, new Rng(21));
        using var o1 = Optimizer.Create("momentum", 0.01f, 5e-4f);
        using var o2 = Optimizer.Create("momentum", 0.01f, 5e-4f);
        using var l1 = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        using var l2 = new Loss(acc, LossKind.SoftmaxCrossEntropy);
        int n = 4, size = Shapes.Product(graph.InputShape);
        var rng = new Rng(5);
        for (int step = 0; step < 50; step++)
        {
            var xs = Enumerable.Range(0, n * size).Select(_ => rng.Uniform(-1f, 1f)).ToArray();
            int[] labels = Enumerable.Range(0, n).Select(i => (step + i) % 4).ToArray();
            using var x = acc.FromHost(xs, [n, .. graph.InputShape]);
            graph.Step++;
            l1.Forward(graph.Forward(x, true), labels);
            graph.Backward(l1.Backward());
            o1.Step(graph.Parameters);
            ChainStep(chain, l2, o2, x, labels);
        }
        foreach (var (p, q) in graph.Parameters.Zip(chain.Parameters))
        {
            var a = p.Data.ToArray();
            var b = q.Data.ToArray();
            Assert.All(a, v => Assert.True(float.IsFinite(v), $"{p.Name} diverged"));
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs(a[i] - b[i]) <= 1e-6 * Math.Max(1, Math.Abs(b[i])),
                    $"{p.Name}[{i}]: graph {a[i]:R}, chain {b[i]:R}");
        }
    }

    [Fact]
    public void A_convolution_read_by_more_than_its_relu_keeps_its_own_output()
    {
        using var acc = new CpuAccelerator();
        using var m = Network.Describe("shared", 1, 4, 4).Conv("c", 2, 3, padding: 1).Relu("r")
            .Add("sum", "r", "c").Flatten("f").Dense("fc", 2).Build().Build(acc);
        var conv = (Conv2d)m.Layers[0];
        Assert.False(conv.FusedRelu);   // c is read by the add as well: rectifying it in place would change the sum
        using var single = Network.Describe("single", 1, 4, 4).Conv("c", 2, 3, padding: 1).Relu("r").Flatten("f")
            .Dense("fc", 2).Build().Build(acc);
        Assert.True(((Conv2d)single.Layers[0]).FusedRelu);
    }
}

using GpuNet.Tests.Ops;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

[RequiresAccelerator("opencl")]
public sealed class OpenClTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cltrain").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // Training on two backends drifts apart after a few dozen steps (max-pool near-ties flip once the weights differ by
    // float rounding, and the runs become as different as two seeds); before that, OpenCL must follow the CPU step by step.
    [AcceleratorFact]
    public void LeNet5_steps_on_OpenCL_follow_the_CPU_in_lock_step()
    {
        using var cpu = new GpuNet.Runtime.Cpu.CpuAccelerator();
        using var cl = GpuNet.Runtime.Devices.Open("opencl");
        using var a = GpuNet.Models.ModelZoo.Create("lenet5", cpu);
        using var b = GpuNet.Models.ModelZoo.Create("lenet5", cl);
        GpuNet.Models.Initializer.Apply(a, GpuNet.Models.InitScheme.Uniform, new Rng(11));
        foreach (var (p, q) in a.Parameters.Zip(b.Parameters)) q.Data.CopyFrom(p.Data.ToArray());
        using var la = new GpuNet.Losses.Loss(cpu, GpuNet.Losses.LossKind.SoftmaxCrossEntropy);
        using var lb = new GpuNet.Losses.Loss(cl, GpuNet.Losses.LossKind.SoftmaxCrossEntropy);
        using var oa = GpuNet.Optim.Optimizer.Create("momentum", 0.02f, 5e-4f, 0, 0.9f);
        using var ob = GpuNet.Optim.Optimizer.Create("momentum", 0.02f, 5e-4f, 0, 0.9f);
        var rng = new Random(5);
        const int n = 16;
        for (int step = 1; step <= 8; step++)
        {
            var x = Enumerable.Range(0, n * 32 * 32).Select(_ => (float)rng.NextDouble() * 2 - 1).ToArray();
            var labels = Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray();
            a.Step = b.Step = step;
            using var xa = cpu.FromHost(x, [n, 1, 32, 32]);
            using var xb = cl.FromHost(x, [n, 1, 32, 32]);
            float lossA = la.Forward(a.Forward(xa, true), labels), lossB = lb.Forward(b.Forward(xb, true), labels);
            Assert.True(Math.Abs(lossA - lossB) <= 1e-4 * Math.Abs(lossA), $"step {step}: loss {lossB} on OpenCL, {lossA} on the CPU");
            a.Backward(la.Backward()); b.Backward(lb.Backward());
            oa.Step(a.Parameters); ob.Step(b.Parameters);
        }
        foreach (var (p, q) in a.Parameters.Zip(b.Parameters))
        {
            float[] wa = p.Data.ToArray(), wb = q.Data.ToArray();
            double scale = wa.Max(v => Math.Abs(v)), worst = wa.Zip(wb).Max(t => Math.Abs(t.First - t.Second));
            Assert.True(worst <= 1e-4 * scale, $"{p.Name} after 8 steps: differs by {worst:G3} (largest |weight| {scale:G3})");
        }
    }

    [AcceleratorFact]
    public void LeNet5_trains_on_OpenCL_and_the_same_weights_score_the_same_on_OpenCL_and_the_CPU()
    {
        TrainOptions Options(string device) => new()
        {
            Model = "lenet5", Data = Mnist.Folder, Epochs = 2, Limit = 3000, Seed = 11, Device = device, Out = Path.Combine(_dir, device.Replace(':', '-')),
        };
        var cl = Trainer.Run(Options("opencl"), NullObserver.Instance);
        Assert.True(cl.Test!.Accuracy > 0.9, $"OpenCL test accuracy {cl.Test.Accuracy:P2}");

        // the OpenCL-trained checkpoint evaluated on both accelerators: same weights, same predictions
        var files = GpuNet.Data.ImageFolder.List(Path.Combine(Mnist.Folder, "test"));
        double Score(string device)
        {
            using var acc = GpuNet.Runtime.Devices.Open(device);
            using var tm = TrainedModel.Open(Path.Combine(cl.RunDirectory, Trainer.BestCheckpoint), acc);
            var store = new GpuNet.Data.ImageStore(files, new GpuNet.Data.BadFiles(true));
            var loader = new GpuNet.Data.BatchLoader(store, tm.Transform, 256);
            return Evaluator.Evaluate(tm.Network, loader, Enumerable.Range(0, files.Count).ToArray()).Accuracy;
        }
        double onCl = Score("opencl"), onCpu = Score("cpu");
        Assert.Equal(cl.Test.Accuracy, onCl, 1e-9);
        Assert.True(Math.Abs(onCl - onCpu) <= 0.0005, $"the same weights: OpenCL {onCl:P2} vs CPU {onCpu:P2}");
    }
}

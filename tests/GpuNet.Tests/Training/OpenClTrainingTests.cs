using GpuNet.Tests.Ops;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

[RequiresAccelerator("opencl")]
public sealed class OpenClTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cltrain").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [AcceleratorFact]
    public void LeNet5_on_OpenCL_matches_the_CPU_for_the_same_seed()
    {
        TrainOptions Options(string device) => new()
        {
            Model = "lenet5", Data = Mnist.Folder, Epochs = 2, Limit = 12000, Seed = 11, Device = device, Out = Path.Combine(_dir, device.Replace(':', '-')),
        };
        var cpu = Trainer.Run(Options("cpu"), NullObserver.Instance);
        var cl = Trainer.Run(Options("opencl"), NullObserver.Instance);
        Assert.True(cl.Test!.Accuracy > 0.9, $"OpenCL test accuracy {cl.Test.Accuracy:P2}");
        Assert.True(Math.Abs(cl.Test.Accuracy - cpu.Test!.Accuracy) <= 0.003,
            $"OpenCL {cl.Test.Accuracy:P2} vs CPU {cpu.Test.Accuracy:P2}: more than 0.3 points apart");
    }
}

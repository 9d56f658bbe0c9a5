using GpuNet.Tests.Ops;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

[RequiresAccelerator("opencl")]
public sealed class OpenClTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cltrain").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

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

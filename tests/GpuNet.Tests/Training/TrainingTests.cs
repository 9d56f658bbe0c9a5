using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>Short real training runs on MNIST subsets: they fail on a broken backward, optimizer or data path.</summary>
public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-train").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private TrainOptions Options(string name, int epochs) => new()
    {
        Model = "lenet5", Data = Mnist.Folder, Epochs = epochs, Batch = 32, Limit = 3000, Seed = 7, Out = Path.Combine(_dir, name),
    };

    [Fact]
    public void LeNet5_learns_an_MNIST_subset_and_resume_continues_exactly()
    {
        // 3,000 training images, 2 epochs: a working engine reaches about 95% on the 10,000 test images; chance is 10%.
        var full = Trainer.Run(Options("full", 2), NullObserver.Instance);
        Assert.NotNull(full.Test);
        Assert.True(full.Test!.Accuracy >= 0.93, $"test accuracy {full.Test.Accuracy:P2} after 2 epochs on 3,000 images, expected at least 93%");
        Assert.Equal(2, full.History.Count);
        Assert.True(File.Exists(Path.Combine(full.RunDirectory, "best.ckpt")));
        Charts.ChartAssert.Files(full.RunDirectory, "curves", "lenet5 on mnist", "loss", "accuracy", "epoch", "1", "2")
            .Dispose();
        Assert.Equal(3, File.ReadAllLines(Path.Combine(full.RunDirectory, "metrics.csv")).Length);

        // one epoch, then resume to two: the same weights as the uninterrupted run, bit for bit
        Trainer.Run(Options("split", 1), NullObserver.Instance);
        var resumed = Trainer.Run(Trainer.ResumeOptions(Path.Combine(_dir, "split")) with { Epochs = 2 }, NullObserver.Instance, resume: true);
        Assert.Equal(2, resumed.History.Count);
        var a = Checkpoint.Read(Path.Combine(full.RunDirectory, "last.ckpt"));
        var b = Checkpoint.Read(Path.Combine(resumed.RunDirectory, "last.ckpt"));
        foreach (var (name, t) in a.Tensors) Assert.Equal(t.Data, b.Tensors[name].Data);
        Assert.Equal(full.Test.Accuracy, resumed.Test!.Accuracy);
    }
}

using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>
/// Short real training runs on MNIST subsets: they fail on a broken backward, optimizer or data path.
/// </summary>
public sealed class TrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-train").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private TrainOptions Options(string name, int epochs) => new()
    {
        Model = "lenet5", Data = Mnist.Folder, Epochs = epochs, Batch = 32, Limit = 3000, Seed = 7,
        Out = Path.Combine(_dir, name),
    };

    [Fact]
    public void LeNet5_learns_an_MNIST_subset_and_resume_continues_exactly()
    {
        // 3,000 training images, 2 epochs: a working engine reaches about 95% on the 10,000 test images; chance is 10%.
        var full = Trainer.Run(Options("full", 2), NullObserver.Instance);
        Assert.NotNull(full.Test);
        Assert.True(full.Test!.Accuracy >= 0.93,
            $"test accuracy {full.Test.Accuracy:P2} after 2 epochs on 3,000 images, expected at least 93%");
        Assert.Equal(2, full.History.Count);
        Assert.True(File.Exists(Path.Combine(full.RunDirectory, "best.ckpt")));
        Charts.ChartAssert.Files(full.RunDirectory, "curves", "lenet5 on mnist", "loss", "accuracy", "epoch", "1", "2")
            .Dispose();
        Assert.Equal(3, File.ReadAllLines(Path.Combine(full.RunDirectory, "metrics.csv")).Length);

        // one epoch, then resume to two: the same weights as the uninterrupted run, bit for bit
        Trainer.Run(Options("split", 1), NullObserver.Instance);
        var resumed = Trainer.Run(Trainer.ResumeOptions(Path.Combine(_dir, "split")) with { Epochs = 2 },
            NullObserver.Instance, resume: true);
        Assert.Equal(2, resumed.History.Count);
        var a = Checkpoint.Read(Path.Combine(full.RunDirectory, "last.ckpt"));
        var b = Checkpoint.Read(Path.Combine(resumed.RunDirectory, "last.ckpt"));
        foreach (var (name, t) in a.Tensors) Assert.Equal(t.Data, b.Tensors[name].Data);
        Assert.Equal(full.Test.Accuracy, resumed.Test!.Accuracy);

        // the run's progress is one "state" entry; a checkpoint of the older layout (a key a field) resumes the same
        string legacy = Path.Combine(_dir, "legacy");
        Trainer.Run(Options("legacy", 1), NullObserver.Instance);
        var state = RunState.Of(Checkpoint.Read(Path.Combine(legacy, "last.ckpt")));
        Assert.Equal(1, state.Epoch);
        Assert.Equal(1, state.BestEpoch);
        Assert.Equal(2 * state.Step, RunState.Of(a).Step);
        RunStateTests.WriteLegacy(Path.Combine(legacy, "last.ckpt"));
        var old = Trainer.Run(Trainer.ResumeOptions(legacy) with { Epochs = 2 }, NullObserver.Instance, resume: true);
        var c = Checkpoint.Read(Path.Combine(old.RunDirectory, "last.ckpt"));
        foreach (var (name, t) in a.Tensors) Assert.Equal(t.Data, c.Tensors[name].Data);
    }

    [Fact]
    public void Divergence_names_the_epoch_the_batches_and_the_first_non_finite_parameter()
    {
        var e = Assert.Throws<DivergenceException>(() => Trainer.Run(Options("diverge", 1) with
        {
            LearningRate = 1e30f,
            Limit = 320,
        }, NullObserver.Instance));
        Assert.Matches(@"^training diverged at epoch 1, between batches \d+ and \d+: the loss is (NaN|-?∞|-?Infinity)",
            e.Message);
        Assert.Contains("the first parameter holding a non-finite value is conv1.weight", e.Message);
        Assert.Contains("lower --lr", e.Message);
    }

    [Theory]
    [InlineData("--lr", "Batch", "--batch must be between 1 and 65536, got 0")]
    [InlineData("--split", "SplitRatios", "--split ratios must add up to 100, '50/60/10' adds up to 120")]
    [InlineData("--schedule", "Schedule", "step:EPOCHS:GAMMA needs EPOCHS ≥ 1")]
    [InlineData("--lr", "LearningRate", "--lr must be a positive finite number, got NaN")]
    public void Bad_options_are_refused_before_any_work(string _, string option, string message)
    {
        var o = Options("bad", 1) with { Data = "/nonexistent-so-any-work-would-fail-differently" };
        o = option switch
        {
            "Batch" => o with { Batch = 0 },
            "SplitRatios" => o with { SplitRatios = "50/60/10" },
            "Schedule" => o with { Schedule = "step:0:0" },
            _ => o with { LearningRate = float.NaN },
        };
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(o, NullObserver.Instance));
        Assert.Contains(message, e.Message);
        Assert.False(Directory.Exists(o.Out), "nothing was created");
    }
}

using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>
/// What a run folder promises: a run is never overwritten unless asked, a failed save keeps the previous file, and
/// temporary files a killed run left behind are removed when a run starts or resumes there.
/// </summary>
public sealed class RunFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-runfolder").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // a process id no system hands out (Linux caps them at 2^22), as in the temp files of a killed run
    private const string DeadPid = "2147483646";

    /// <summary>A small MNIST folder (100 training and 10 test images a class, linked): a run takes a second.</summary>
    private string SmallMnist() => Mnist.Small(_dir, 100, 10);

    private TrainOptions Options(string data, int epochs) => new()
    {
        Model = "lenet5", Data = data, Epochs = epochs, Batch = 32, Seed = 7, Out = Path.Combine(_dir, "run"),
    };

    [Theory]
    [InlineData(Trainer.LastCheckpoint)]
    [InlineData(Trainer.BestCheckpoint)]
    [InlineData(Trainer.MetricsFile)]
    public void Starting_a_run_in_a_folder_that_holds_one_is_refused_and_the_folder_left_as_it_was(string file)
    {
        var o = Options(Path.Combine(_dir, "no-data"), 1);
        Directory.CreateDirectory(o.Out);
        File.WriteAllText(Path.Combine(o.Out, file), "the user's");
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(o, NullObserver.Instance));
        Assert.Contains(o.Out, e.Message);
        Assert.Contains(file, e.Message);
        Assert.Contains($"--resume {o.Out}", e.Message);
        Assert.Contains("--overwrite", e.Message);
        Assert.Equal([Path.Combine(o.Out, file)], Directory.GetFiles(o.Out));
        Assert.Equal("the user's", File.ReadAllText(Path.Combine(o.Out, file)));
    }

    [Fact]
    public void Out_naming_a_file_is_refused()
    {
        var o = Options(Path.Combine(_dir, "no-data"), 1);
        File.WriteAllText(o.Out, "the user's");
        var e = Assert.Throws<ArgumentException>(() => Trainer.Run(o with { Overwrite = true }, NullObserver.Instance));
        Assert.Contains(o.Out, e.Message);
        Assert.Contains("is a file", e.Message);
        Assert.Equal("the user's", File.ReadAllText(o.Out));
    }

    [Fact]
    public void Overwrite_replaces_the_old_run_and_removes_stale_temp_files_but_nothing_else()
    {
        var o = Options(SmallMnist(), 1) with { Overwrite = true };
        Directory.CreateDirectory(o.Out);
        foreach (var f in new[] { "last.ckpt", "best.ckpt", "metrics.csv", "curves.png", "curves.svg", "skipped.txt",
                     "notes.txt" })
            File.WriteAllText(Path.Combine(o.Out, f), "old");
        foreach (var f in new[] { "last.ckpt", "best.ckpt", "metrics.csv" })
            File.WriteAllText(Path.Combine(o.Out, $"{f}.tmp-{DeadPid}"), "left by a killed run");
        var result = Trainer.Run(o, NullObserver.Instance);
        Assert.Single(result.History);
        Assert.Equal(
            ["best.ckpt", "curves.png", "curves.svg", "last.ckpt", "metrics.csv", "notes.txt"],
            Directory.GetFiles(o.Out).Select(Path.GetFileName).Order());
        Assert.Equal("old", File.ReadAllText(Path.Combine(o.Out, "notes.txt")));
        Assert.Equal(1, RunState.Of(Checkpoint.Read(Path.Combine(o.Out, "best.ckpt"))).Epoch);
    }

    [Fact]
    public void Resuming_removes_the_temp_files_a_killed_run_left()
    {
        var o = Options(SmallMnist(), 1);
        Trainer.Run(o, NullObserver.Instance);
        var stale = new[] { "last.ckpt", "best.ckpt", "metrics.csv", "curves.png" }
            .Select(f => Path.Combine(o.Out, $"{f}.tmp-{DeadPid}")).ToList();
        foreach (var f in stale) File.WriteAllText(f, "left by a killed run");
        File.WriteAllText(Path.Combine(o.Out, "notes.tmp-1"), "the user's");
        Trainer.Run(Trainer.ResumeOptions(o.Out), NullObserver.Instance, resume: true);
        Assert.All(stale, f => Assert.False(File.Exists(f), f));
        Assert.True(File.Exists(Path.Combine(o.Out, "notes.tmp-1")));
    }

    /// <summary>
    /// A save that fails between writing and renaming (a full disk, or a kill) leaves the previous checkpoint as it
    /// was, loadable, and no temporary file; the error names the file and says the previous one is kept.
    /// </summary>
    [Theory]
    [InlineData(Trainer.LastCheckpoint)]
    [InlineData(Trainer.BestCheckpoint)]
    public void A_save_that_fails_keeps_the_previous_checkpoint(string file)
    {
        var o = Options(SmallMnist(), 1);
        Trainer.Run(o, NullObserver.Instance);
        string path = Path.Combine(o.Out, file);
        var before = File.ReadAllBytes(path);
        try
        {
            AtomicFile.BeforeRename = p => { if (p == path) throw new IOException("No space left on device"); };
            var e = Assert.Throws<IOException>(() =>
                Trainer.Run(Trainer.ResumeOptions(o.Out) with { Epochs = 2 }, NullObserver.Instance, resume: true));
            Assert.Contains(path, e.Message);
            Assert.Contains("No space left on device", e.Message);
            Assert.Contains("the previous checkpoint is kept", e.Message);
        }
        finally { AtomicFile.BeforeRename = null; }
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(1, RunState.Of(Checkpoint.Read(path)).Epoch);
        Assert.Empty(Directory.GetFiles(o.Out, "*.tmp-*"));
    }
}

using GpuNet.Tests.Training;
using GpuNet.Training;
using static GpuNet.Tests.Cli.CliTests;

namespace GpuNet.Tests.Cli;

/// <summary>`gpunet train --out` never replaces a run unless told to, and a save that fails is one line.</summary>
public sealed class RunFolderCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-runcli").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static string[] Lines(string text) => text.Trim().Split('\n');

    [Fact]
    public void Train_refuses_a_folder_holding_a_run_or_a_file_and_a_failed_save_is_one_line()
    {
        string run = Path.Combine(_dir, "run"), metrics = Path.Combine(run, "metrics.csv");
        Directory.CreateDirectory(run);
        File.WriteAllText(metrics, "the user's");
        string[] train = ["train", "--data", Mnist.Folder, "--epochs", "1", "--limit", "300"];
        var (code, _, err) = Gpunet([.. train, "--out", run]);
        Assert.Equal(2, code);
        Assert.Single(Lines(err));
        Assert.Contains($"{run}: already holds a run", err);
        Assert.Contains($"--resume {run}", err);
        Assert.Contains("--overwrite", err);
        Assert.Equal("the user's", File.ReadAllText(metrics));

        (code, _, err) = Gpunet([.. train, "--out", metrics]);
        Assert.Equal(2, code);
        Assert.Single(Lines(err));
        Assert.Contains($"{metrics}: is a file", err);

        // --overwrite is accepted; best.ckpt is a folder, so saving it fails after the first epoch: one line that
        // names it, no stack trace, no temp file, and last.ckpt saved
        string best = Directory.CreateDirectory(Path.Combine(run, "best.ckpt")).FullName;
        (code, _, err) = Gpunet([.. train, "--out", run, "--overwrite"]);
        Assert.Equal(1, code);
        Assert.Single(Lines(err));
        Assert.StartsWith($"error: {best}: could not be saved", err);
        Assert.DoesNotContain("   at ", err);
        Assert.DoesNotContain("Exception", err);
        Assert.Empty(Directory.GetFiles(run, "*.tmp-*"));
        Assert.Equal(1, RunState.Of(Checkpoint.Read(Path.Combine(run, "last.ckpt"))).Epoch);
    }
}

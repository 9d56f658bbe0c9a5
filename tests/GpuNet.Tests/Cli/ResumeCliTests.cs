using GpuNet.Tests.Training;

namespace GpuNet.Tests.Cli;

/// <summary>
/// `gpunet train --resume`: the data folder is stored resolved, so a resume works from any working directory; --data
/// points a resume at the same images elsewhere; an option given with --resume is applied and said so, or refused.
/// </summary>
public sealed class ResumeCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-resume").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Resume_works_from_elsewhere_applies_what_may_change_and_refuses_what_defines_the_run()
    {
        string data = Mnist.Small(_dir, 10, 2), run = Path.Combine(_dir, "run");
        // started with a relative --data from the data's parent folder
        var (code, _, err) =
            ChildProcess.GpunetIn(_dir, null, "train", "--data", "mnist", "--out", run, "--epochs", "1",
            "--batch", "16");
        Assert.True(code == 0, err);

        // from another working directory: the stored folder is absolute
        string elsewhere = Directory.CreateDirectory(Path.Combine(_dir, "elsewhere")).FullName;
        (code, var output, err) = ChildProcess.GpunetIn(elsewhere, null, "train", "--resume", run, "--epochs", "2");
        Assert.True(code == 0, err);
        Assert.Contains("resume: applying --epochs 2", output);

        // an option that defines the run is refused, naming it, before anything runs
        (code, _, err) =
            ChildProcess.GpunetIn(elsewhere, null, "train", "--resume", run, "--epochs", "3", "--lr", "0.5");
        Assert.Equal(2, code);
        Assert.Contains("--lr cannot change when resuming", err);
        Assert.Single(err.Trim().Split('\n'));

        // the images moved: the error says how to point the resume at them, and --data does
        string moved = Path.Combine(_dir, "moved");
        Directory.Move(data, moved);
        (code, _, err) = ChildProcess.GpunetIn(elsewhere, null, "train", "--resume", run, "--epochs", "3");
        Assert.Equal(1, code);
        Assert.Contains("give --data DIR", err);
        (code, output, err) =
            ChildProcess.GpunetIn(elsewhere, null, "train", "--resume", run, "--epochs", "3", "--data",
            moved);
        Assert.True(code == 0, err);
        Assert.Contains($"--data {moved}", output);
    }
}

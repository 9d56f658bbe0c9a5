using System.Text.Json;

namespace GpuNet.Tests.Cli;

/// <summary>Runs the real `gpunet` program (copied next to the tests) and checks what a user would see.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cli").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    internal static (int Code, string Out, string Err) Gpunet(params string[] args) => ChildProcess.Gpunet(null, args);

    [Theory]
    [InlineData("lenet5", "61,706")]
    [InlineData("alexnet", "60,965,224")]
    public void Summary_prints_the_total(string model, string total)
    {
        var (code, output, _) = Gpunet("summary", "--model", model);
        Assert.Equal(0, code);
        Assert.Contains($"total parameters: {total}", output);
        Assert.Contains("conv1", output);
    }

    [Fact]
    public void Bad_input_is_one_clear_line_and_a_nonzero_exit()
    {
        var (code, _, err) = Gpunet("summary", "--model", "resnet");
        Assert.Equal(2, code);
        Assert.Contains("unknown model 'resnet'", err);

        (code, _, err) = Gpunet("train", "--data", Path.Combine(_dir, "nope"), "--out", Path.Combine(_dir, "run"));
        Assert.Equal(1, code);
        Assert.Contains("nope: data folder does not exist", err);

        (code, _, err) = Gpunet("train", "--data", _dir, "--device", "tpu", "--out", Path.Combine(_dir, "run"));
        Assert.Equal(2, code);
        Assert.Contains("unknown device 'tpu'", err);

        Directory.CreateDirectory(Path.Combine(_dir, "d", "train"));
        (code, _, err) = Gpunet("train", "--data", Path.Combine(_dir, "d"), "--out", Path.Combine(_dir, "run"));
        Assert.Equal(1, code);
        Assert.Contains("no class folders", err);

        (code, _, err) = Gpunet("evaluate", "--checkpoint", Path.Combine(_dir, "none.ckpt"), "--data", _dir);
        Assert.Equal(1, code);
        Assert.Contains("none.ckpt: checkpoint file does not exist", err);
        Assert.Single(err.Trim().Split('\n'));

        (code, _, err) = Gpunet("filters", "--checkpoint", Path.Combine(_dir, "none.ckpt"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {Path.Combine(_dir, "none.ckpt")}: checkpoint file does not exist", err.Trim());

        (code, _, err) = Gpunet("plot", "--run", Path.Combine(_dir, "d"));
        Assert.Equal(1, code);
        Assert.Equal($"error: {Path.Combine(_dir, "d", "metrics.csv")}: no epochs recorded " +
            "(missing or empty metrics file)", err.Trim());
    }

    [Fact]
    public void Devices_lists_the_cpu()
    {
        var (code, output, _) = Gpunet("devices");
        Assert.Equal(0, code);
        Assert.Contains("cpu", output);
    }

    [Fact]
    public void Train_then_evaluate_json_and_predict()
    {
        string run = Path.Combine(_dir, "run");
        var (code, output, err) = Gpunet("train", "--model", "lenet5", "--data", Training.Mnist.Folder, "--epochs", "1",
            "--limit", "4000", "--out", run);
        Assert.True(code == 0, err);
        Assert.Matches(@"test accuracy: \d+\.\d\d%", output);

        (code, output, err) = Gpunet("evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data",
            Path.Combine(Training.Mnist.Folder, "test"), "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.InRange(doc.RootElement.GetProperty("accuracy").GetDouble(), 0.8, 1.0);
        Assert.Equal(10000, doc.RootElement.GetProperty("count").GetInt32());
        // the confusion matrix as a chart beside the checkpoint, its classes on the axes
        Charts.ChartAssert.Files(run, "confusion", "predicted class", "true class", "0", "9").Dispose();

        // the run's charts: curves from metrics.csv (rewritten by plot), the first layer's kernels from best.ckpt
        File.Delete(Path.Combine(run, "curves.png"));
        (code, output, err) = Gpunet("plot", "--run", run);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {Path.Combine(run, "curves.png")} and {Path.Combine(run, "curves.svg")} (1 epoch)",
            output);
        Charts.ChartAssert.Files(run, "curves", "lenet5 on mnist", "loss", "accuracy", "learning rate").Dispose();
        Charts.ChartAssert.Files(run, "filters", "conv1 kernels of lenet5, epoch 1 (best.ckpt)").Dispose();
        string filters = Path.Combine(_dir, "filters");
        (code, output, err) = Gpunet("filters", "--checkpoint", Path.Combine(run, "best.ckpt"), "--out", filters);
        Assert.True(code == 0, err);
        Assert.Contains($"wrote {Path.Combine(filters, "filters.png")}", output);
        using (var tiles = Charts.ChartAssert.Files(filters, "filters", "conv1 kernels of lenet5, epoch 1 (best.ckpt)"))
            Assert.DoesNotContain(tiles.Pixels, p => p.Red != p.Green || p.Green != p.Blue);   // one channel: grey

        string seven = Directory.GetFiles(Path.Combine(Training.Mnist.Folder, "test", "7")).Order().First();
        (code, output, err) = Gpunet("predict", "--checkpoint", Path.Combine(run, "best.ckpt"), "--top", "2", seven);
        Assert.True(code == 0, err);
        Assert.Contains($"{seven}: 7 ", output);

        // a checkpoint of another model, or a corrupt one, is refused with its name
        var bytes = File.ReadAllBytes(Path.Combine(run, "best.ckpt"));
        File.WriteAllBytes(Path.Combine(_dir, "cut.ckpt"), bytes[..(bytes.Length / 2)]);
        (code, _, err) = Gpunet("evaluate", "--checkpoint", Path.Combine(_dir, "cut.ckpt"), "--data",
            Path.Combine(Training.Mnist.Folder, "test"));
        Assert.Equal(1, code);
        Assert.Contains("cut.ckpt: tensor", err);
    }
}

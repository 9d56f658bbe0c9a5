using System.Text.Json;

namespace GpuNet.Tests.Cli;

public sealed class SplitCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-split").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Split_experiment_reports_both_layouts_writes_csv_and_chart_and_counts_bytes_exactly()
    {
        var (code, output, err) = CliTests.Gpunet("split-experiment", "--model", "alexnet-small", "--devices",
            "cpu,cpu", "--batch", "4", "--steps", "1", "--out", _dir, "--json");
        Assert.True(code == 0, err);
        var root = JsonDocument.Parse(output).RootElement;
        var split = root.GetProperty("split");
        Assert.Equal(split.GetProperty("AnalyticBytesPerStep").GetInt64(),
            split.GetProperty("BytesPerStep").GetInt64());
        Assert.True(split.GetProperty("BytesPerStep").GetInt64() > 0);
        Assert.Equal(2, split.GetProperty("PeakBytes").GetArrayLength());
        // the copies are timed and are a part of the step, not more than it
        double copy = split.GetProperty("CopyMs").GetDouble(), share = split.GetProperty("CopyShare").GetDouble();
        Assert.True(copy > 0 && share > 0 && share < 1, $"copy {copy} ms, share {share}");
        Assert.Equal(0, root.GetProperty("single").GetProperty("CopyMs").GetDouble());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_dir, "split-experiment.csv")).Length);
        Charts.ChartAssert.Files(_dir, "split-experiment", "time per training step", "peak memory per device",
            "forward", "backward", "update", "copies", "split: device 1").Dispose();
    }

    [Fact]
    public void Summary_with_devices_places_every_layer_and_keeps_the_total()
    {
        var (code, output, err) = CliTests.Gpunet("summary", "--model", "alexnet", "--devices", "cpu,cpu");
        Assert.True(code == 0, err);
        Assert.Contains("total parameters: 60,965,224", output);
        Assert.Contains("tower1.conv3", output);
        Assert.Contains("cpu#1", output);
        (code, _, err) = CliTests.Gpunet("summary", "--model", "alexnet", "--devices", "cpu");
        Assert.Equal(2, code);
        Assert.Contains("--devices takes two devices", err);
    }
}

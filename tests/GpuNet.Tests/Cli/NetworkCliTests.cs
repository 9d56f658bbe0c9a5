using GpuNet.Data;

namespace GpuNet.Tests.Cli;

/// <summary>`gpunet` with a network file of one's own: the README's "Your own network" from start to end.</summary>
public sealed class NetworkCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cli-network").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static (int Code, string Out, string Err) Gpunet(params string[] args) => CliTests.Gpunet(args);

    [Fact]
    public void A_bad_network_file_is_one_error_line_with_its_place_and_exit_code_2()
    {
        string file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, "name: bad\ninput:\n  shape: [3, 8, 8]\nlayers:\n" +
            "  - {name: c, type: conv, filters: 2, kernel: 3, strid: 2}\n");
        foreach (var args in new[]
                 {
                     new[] { "summary", "--network", file },
                     ["train", "--network", file, "--data", _dir, "--out", Path.Combine(_dir, "run")],
                 })
        {
            var (code, output, err) = Gpunet(args);
            Assert.Equal(2, code);
            Assert.Equal($"error: {file}:5:57: layer 'c' (conv) has unknown setting 'strid' (did you mean " +
                "'stride'?); conv takes filters, kernel, stride, padding, groups, bias, weight_init, bias_init",
                err.Trim());
            Assert.DoesNotContain(" at ", output + err);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));
        var (c2, _, e2) = Gpunet("summary", "--network", Path.Combine(_dir, "none.yaml"));
        Assert.Equal(2, c2);
        Assert.Equal($"error: {Path.Combine(_dir, "none.yaml")}: no such network file", e2.Trim());
        (c2, _, e2) = Gpunet("summary", "--model", "lenet5", "--network", file);
        Assert.Equal(2, c2);
        Assert.Contains("give one of --model NAME, --network FILE or --checkpoint FILE", e2);
    }

    [Fact]
    public void A_residual_network_from_a_file_trains_and_is_evaluated_exported_and_resumed_without_the_file()
    {
        string data = Path.Combine(_dir, "shapes"), file = Path.Combine(_dir, "res.yaml"),
            run = Path.Combine(_dir, "run");
        SyntheticShapes.Write(data, 8, 2, 20, seed: 5);
        File.WriteAllText(file, GpuNet.Tests.Networks.NetworkFileTests.Residual);
        var (code, output, err) = Gpunet("summary", "--network", file);
        Assert.True(code == 0, err);
        Assert.Contains(" Add ", output);
        Assert.Contains("conv2, relu1", output);
        Assert.Contains("total parameters:", output);
        Assert.Contains("multiply-accumulates per sample (forward):", output);

        (code, output, err) = Gpunet("train", "--network", file, "--data", data, "--epochs", "1", "--out", run);
        Assert.True(code == 0, err);
        Assert.Contains("model: tiny-res", output);
        Assert.Contains("test accuracy:", output);
        File.Delete(file);

        string best = Path.Combine(run, "best.ckpt");
        (code, output, err) = Gpunet("evaluate", "--checkpoint", best, "--data", Path.Combine(data, "test"));
        Assert.True(code == 0, err);
        Assert.Contains("accuracy", output);
        (code, _, err) = Gpunet("export", "--checkpoint", best, "--out", Path.Combine(_dir, "res.onnx"));
        Assert.True(code == 0, err);
        Assert.True(File.Exists(Path.Combine(_dir, "res.onnx")));
        (code, output, err) = Gpunet("summary", "--checkpoint", best);
        Assert.True(code == 0, err);
        Assert.Contains("tiny-res", output);
        string image = Directory.GetFiles(Path.Combine(data, "test"), "*.jpg", SearchOption.AllDirectories)[0];
        (code, _, err) = Gpunet("predict", "--checkpoint", best, image);
        Assert.True(code == 0, err);
        (code, _, err) = Gpunet("filters", "--checkpoint", best);
        Assert.True(code == 0, err);
        (code, _, err) = Gpunet("plot", "--run", run);
        Assert.True(code == 0, err);
        (code, output, err) = Gpunet("train", "--resume", run, "--epochs", "2");
        Assert.True(code == 0, err);
        Assert.Contains("resuming", output);
    }
}

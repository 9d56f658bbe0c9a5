using GpuNet.Models;
using GpuNet.Runtime.Cpu;
using GpuNet.Tests.Export;
using static GpuNet.Tests.Cli.CliTests;

namespace GpuNet.Tests.Cli;

/// <summary>`gpunet export` as a user sees it: the file, the printed preprocessing, one clear line for bad input.
/// </summary>
public sealed class ExportCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-export-cli").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string LeNetCheckpoint()
    {
        string path = Path.Combine(_dir, "lenet5.ckpt");
        using var cpu = new CpuAccelerator();
        using var m = ModelZoo.Create("lenet5", cpu);
        Initializer.Apply(m, InitScheme.Uniform, new Rng(2));
        OnnxRun.SaveCheckpoint(m, path, Enumerable.Range(0, 10).Select(i => $"{i}").ToArray(), [0.13f], [0.31f], "");
        return path;
    }

    [Fact]
    public void Export_writes_the_file_and_prints_the_preprocessing()
    {
        string ckpt = LeNetCheckpoint(), onnx = Path.Combine(_dir, "out", "lenet5.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(onnx)!);
        var (code, output, err) = Gpunet("export", "--checkpoint", ckpt, "--out", onnx, "--opset", "15");
        Assert.True(code == 0, err);
        Assert.Contains("opset 15 (IR version 8)", output);
        Assert.Contains("61,706 parameters", output);
        Assert.Contains("input: input float32 (batch, 1, 32, 32), gray", output);
        Assert.Contains("x = (pixel / 255 - mean[c]) / std[c]", output);
        Assert.Contains("mean: [0.13]", output);
        Assert.Contains("classes: [\"0\",\"1\"", output);
        Assert.Equal([onnx], Directory.GetFiles(Path.GetDirectoryName(onnx)!));
        var (probabilities, _) = OnnxRun.Run(onnx, OnnxRun.Random(2, [1, 32, 32], 1), 2, [1, 32, 32]);
        Assert.Equal(1.0, probabilities.Take(10).Sum(), 1e-5);
    }

    [Fact]
    public void Bad_input_is_one_error_line_and_an_existing_file_is_kept()
    {
        string ckpt = LeNetCheckpoint(), onnx = Path.Combine(_dir, "kept.onnx");
        File.WriteAllText(onnx, "earlier export");
        void OneError(int expectedCode, string expected, params string[] args)
        {
            var (code, _, err) = Gpunet(["export", .. args]);
            Assert.Equal(expectedCode, code);
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("error: ", err);
            Assert.Contains(expected, err);
        }
        OneError(1, "none.ckpt: checkpoint file does not exist",
            "--checkpoint", Path.Combine(_dir, "none.ckpt"), "--out", onnx);
        string truncated = Path.Combine(_dir, "truncated.ckpt");
        File.WriteAllBytes(truncated, File.ReadAllBytes(ckpt)[..100]);
        OneError(1, "truncated.ckpt", "--checkpoint", truncated, "--out", onnx);
        OneError(1, "folder does not exist", "--checkpoint", ckpt, "--out", Path.Combine(_dir, "missing", "m.onnx"));
        OneError(2, "is a folder", "--checkpoint", ckpt, "--out", _dir);
        OneError(2, "the exporter writes opsets 13 to 23", "--checkpoint", ckpt, "--out", onnx, "--opset", "9");
        Assert.Equal("earlier export", File.ReadAllText(onnx));
        Assert.DoesNotContain(Directory.GetFiles(_dir), f => f.Contains(".tmp-"));
    }

    [Fact]
    public void Help_explains_the_command()
    {
        var (code, output, _) = Gpunet("export", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
        Assert.Contains("--opset", output);
        Assert.Contains("metadata_props", output);
    }
}

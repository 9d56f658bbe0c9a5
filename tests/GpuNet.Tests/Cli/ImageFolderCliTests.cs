using System.Text.Json;
using GpuNet.Data;
using GpuNet.Tests.Data;
using GpuNet.Tests.Ops;
using static GpuNet.Tests.Cli.CliTests;

namespace GpuNet.Tests.Cli;

/// <summary>
/// End to end on a synthetic RGB JPEG folder: AlexNet-small learns, bad files are handled, the split trains.
/// </summary>
[RequiresAccelerator("turbojpeg")]
public sealed class ImageFolderCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-imgcli").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [AcceleratorFact]
    public void AlexNet_small_learns_shapes_from_JPEGs_and_ten_crop_evaluate_and_predict_use_class_names()
    {
        string data = Path.Combine(_dir, "shapes"), run = Path.Combine(_dir, "run");
        var (code, _, err) = Gpunet("make-shapes", "--out", data, "--per-class", "150", "--test-per-class", "20",
            "--size", "72", "--seed", "5");
        Assert.True(code == 0, err);
        (code, var output, err) = Gpunet("train", "--model", "alexnet-small", "--data", data, "--epochs", "10",
            "--schedule", "constant", "--workers", "2", "--out", run);
        Assert.True(code == 0, err);
        Assert.Contains("resize:76,random-crop:67,flip,pca-color:0.1", output);
        double acc = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"test accuracy: (\d+\.\d\d)%")
            .Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(acc >= 30, $"test accuracy {acc}% on 10 classes (chance 10%)");
        Assert.Contains("data_wait_seconds", File.ReadAllText(Path.Combine(run, "metrics.csv")));

        (code, output, err) = Gpunet("evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data",
            Path.Combine(data, "test"), "--ten-crop", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(200, doc.RootElement.GetProperty("count").GetInt32());
        Assert.True(doc.RootElement.GetProperty("accuracy").GetDouble() >= 0.3);

        string star = Directory.GetFiles(Path.Combine(data, "test", "star")).Order().First();
        (code, output, err) = Gpunet("predict", "--checkpoint", Path.Combine(run, "best.ckpt"), "--top", "10", star);
        Assert.True(code == 0, err);
        foreach (var name in SyntheticShapes.Classes) Assert.Contains($"{name} ", output);
    }

    [AcceleratorFact]
    public void Bad_files_are_skipped_counted_and_listed_or_with_strict_the_first_is_an_error()
    {
        string data = Path.Combine(_dir, "mixed");
        var (code, _, err) =
            Gpunet("make-shapes", "--out", data, "--per-class", "6", "--test-per-class", "2", "--size", "40");
        Assert.True(code == 0, err);
        foreach (var (name, (bytes, _)) in JpegTests.CorruptCorpus())
            Pictures.Write(Path.Combine(data, "train", "circle", name), bytes);
        Directory.CreateDirectory(Path.Combine(data, "train", ".git"));
        File.WriteAllText(Path.Combine(data, "train", "star", ".DS_Store"), "x");
        foreach (var cache in new[] { "on", "off" })
        {
            string run = Path.Combine(_dir, "run-" + cache);
            (code, var output, err) = Gpunet("train", "--model", "alexnet-small", "--data", data, "--epochs", "1",
                "--cache", cache, "--out", run);
            Assert.True(code == 0, err);
            Assert.Contains("5 images skipped", output);
            var listed = File.ReadAllLines(Path.Combine(run, "skipped.txt"));
            Assert.Equal(5, listed.Length);
            Assert.All(JpegTests.CorruptCorpus().Keys, k => Assert.Contains(listed, l => l.Contains(k)));
        }
        (code, _, err) = Gpunet("train", "--model", "alexnet-small", "--data", data, "--epochs", "1", "--strict",
            "--out", Path.Combine(_dir, "strict"));
        Assert.Equal(1, code);
        // the first bad file in folder order
        Assert.Contains(Path.Combine(data, "train", "circle", "bomb.jpg") + ": JPEG declares 50000x50000", err);

        Directory.CreateDirectory(Path.Combine(data, "train", "empty1"));
        Directory.CreateDirectory(Path.Combine(data, "train", "empty2"));
        (code, _, err) = Gpunet("train", "--model", "alexnet-small", "--data", data, "--out", Path.Combine(_dir, "e"));
        Assert.Equal(1, code);
        Assert.Contains("class folders with no images", err);
        Assert.Contains("empty1", err); Assert.Contains("empty2", err);
    }

    [AcceleratorFact]
    public void Split_training_on_two_CPU_devices_writes_a_checkpoint_the_single_model_evaluates_the_same()
    {
        string data = Path.Combine(_dir, "shapes"), run = Path.Combine(_dir, "split");
        var (code, _, err) =
            Gpunet("make-shapes", "--out", data, "--per-class", "20", "--test-per-class", "10", "--size", "72");
        Assert.True(code == 0, err);
        (code, var output, err) = Gpunet("train", "--model", "alexnet-small", "--devices", "cpu,cpu", "--data", data,
            "--epochs", "2", "--out", run);
        Assert.True(code == 0, err);
        Assert.Contains("device: cpu#0", output); Assert.Contains("device: cpu#1", output);
        double Accuracy(params string[] extra)
        {
            var (c, o, e) = Gpunet(["evaluate", "--checkpoint", Path.Combine(run, "best.ckpt"), "--data",
                Path.Combine(data, "test"), "--json", .. extra]);
            Assert.True(c == 0, e);
            using var doc = JsonDocument.Parse(o);
            return doc.RootElement.GetProperty("accuracy").GetDouble();
        }
        double trained = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"test accuracy: (\d+\.\d\d)%")
            .Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(trained, Accuracy() * 100, 1e-6);                       // split checkpoint → single-device model
        Assert.Equal(trained, Accuracy("--devices", "cpu,cpu") * 100, 1e-6);  // and back into the split model

        // resume continues the split run
        (code, output, err) = Gpunet("train", "--resume", run, "--epochs", "3");
        Assert.True(code == 0, err);
        Assert.Contains("resuming", output);
        Assert.Contains("epoch 3:", output);
    }
}

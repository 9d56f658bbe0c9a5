using System.Text.Json;
using GpuNet.Models;
using GpuNet.Runtime;
using GpuNet.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace GpuNet.Tests.Export;

/// <summary>Runs exported files in ONNX Runtime and compares them with GpuNet's own forward pass.</summary>
internal static class OnnxRun
{
    /// <summary>x: (n, …shape) → (probabilities, logits), each (n, classes), by ONNX Runtime on the CPU.</summary>
    public static (float[] Probabilities, float[] Logits) Run(string path, float[] x, int n, int[] shape)
    {
        using var session = new InferenceSession(path);
        return Run(session, x, n, shape);
    }

    public static (float[] Probabilities, float[] Logits) Run(InferenceSession session, float[] x, int n, int[] shape)
    {
        var input = new DenseTensor<float>(x, [n, .. shape]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        float[] Get(string name) => results.Single(r => r.Name == name).AsTensor<float>().ToArray();
        return (Get("probabilities"), Get("logits"));
    }

    /// <summary>The network's logits for host input x: (n, …InputShape), evaluation mode.</summary>
    public static float[] Logits(INetwork net, float[] x, int n)
    {
        var z = net.Forward(x, n, training: false);
        var host = new float[n * net.Classes];
        net.OutputDevice.CopyToHost(z, host);
        return host;
    }

    /// <summary>
    /// ONNX Runtime's logits within 1e-4 of the largest |logit| of GpuNet's, the same top-1 class for every row, and
    /// probabilities that are the softmax of GpuNet's logits (within 1e-5).
    /// </summary>
    public static void Same(float[] gpunet, (float[] Probabilities, float[] Logits) onnx, int classes, string what)
    {
        Assert.Equal(gpunet.Length, onnx.Logits.Length);
        double scale = gpunet.Max(v => Math.Abs((double)v)), worst = 0;
        int at = 0;
        for (int i = 0; i < gpunet.Length; i++)
        {
            double e = Math.Abs(gpunet[i] - onnx.Logits[i]);
            if (e > worst) (worst, at) = (e, i);
        }
        Assert.True(worst <= 1e-4 * scale, $"{what}: logit {at} is {onnx.Logits[at]} in ONNX Runtime, " +
            $"{gpunet[at]} in GpuNet (largest |logit| {scale:G3}, tolerance 1e-4 of it)");
        for (int row = 0; row < gpunet.Length / classes; row++)
        {
            var g = gpunet.AsSpan(row * classes, classes);
            Assert.True(Metrics.ArgMax(g) == Metrics.ArgMax(onnx.Logits.AsSpan(row * classes, classes)),
                $"{what}: top-1 class of sample {row} differs");
            double max = g[Metrics.ArgMax(g)], sum = 0;
            foreach (float v in g) sum += Math.Exp(v - max);
            for (int j = 0; j < classes; j++)
                Assert.True(Math.Abs(Math.Exp(g[j] - max) / sum - onnx.Probabilities[row * classes + j]) <= 1e-5,
                    $"{what}: probability {j} of sample {row} is not the softmax of the logits");
        }
    }

    /// <summary>A checkpoint of <paramref name="net"/> with the metadata <see cref="Trainer"/> writes for inference.
    /// </summary>
    public static void SaveCheckpoint(INetwork net, string path, string[] classes, float[] mean, float[] std,
        string evalTransform)
    {
        var meta = new Dictionary<string, string>
        {
            ["model"] = net.Name,
            ["classes"] = JsonSerializer.Serialize(classes),
            ["input_shape"] = JsonSerializer.Serialize(net.InputShape),
            ["mean"] = JsonSerializer.Serialize(mean),
            ["std"] = JsonSerializer.Serialize(std),
            ["eval_transform"] = evalTransform,
        };
        if (net is GpuNet.Models.Model { Description: { } d }) meta[Checkpoint.NetworkKey] = d.ToYaml();
        Checkpoint.Save(path, meta, Checkpoint.NetworkTensors(net, null));
    }

    /// <summary>A model of one's own with random inputs: host data of n samples.</summary>
    public static float[] Random(int n, int[] shape, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n * Shapes.Product(shape)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }
}

/// <summary>Whether /usr/bin/python3 has the onnx module (Debian's python3-onnx), for the ONNX checker.</summary>
internal static class PythonOnnx
{
    public const string Python = "/usr/bin/python3";
    private static readonly Lazy<string?> Why = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} not found (apt-get install python3-onnx)";
        var (code, _, err) = ChildProcess.Run(Python, ["-c", "import onnx"]);
        return code == 0 ? null
            : $"{Python} has no onnx module (apt-get install python3-onnx): {err.Trim().Split('\n')[^1]}";
    });

    /// <summary>Null when the checker can run, else why not.</summary>
    public static string? Unavailable => Why.Value;

    /// <summary>onnx.checker.check_model(full_check=True) on the file: its exit code and messages.</summary>
    public static (int Code, string Output) Check(string path)
    {
        const string script = "import sys, onnx\nm = onnx.load(sys.argv[1])\n" +
            "onnx.checker.check_model(m, full_check=True)\nprint('ok', m.ir_version, m.opset_import[0].version)";
        var (code, output, err) = ChildProcess.Run(Python, ["-c", script, path]);
        return (code, output + err);
    }
}

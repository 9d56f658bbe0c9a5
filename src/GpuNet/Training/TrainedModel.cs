using GpuNet.Data;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Training;

/// <summary>
/// A network restored from a checkpoint with what it needs to read images: class names, normalisation and the
/// evaluation transform. The checkpoint's single-device layout loads into one device or, given two, the split model.
/// </summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(INetwork network, NetworkDescription description, string[] classes, Transform transform,
        string evalSpec)
    {
        Network = network; Description = description; Classes = classes; Transform = transform;
        EvalTransform = evalSpec;
    }

    public INetwork Network { get; }
    public string[] Classes { get; }
    public Transform Transform { get; }
    public string EvalTransform { get; }

    /// <summary>The network the checkpoint holds (its description).</summary>
    public NetworkDescription Description { get; }

    /// <summary>
    /// Opens the checkpoint on <paramref name="accelerator"/>, or split across it and <paramref name="second"/>.
    /// </summary>
    public static TrainedModel Open(string checkpointPath, Accelerator accelerator, Accelerator? second = null)
    {
        var file = Checkpoint.Read(checkpointPath);
        var description = Checkpoint.Description(file);
        var classes = file.GetJson<string[]>("classes");
        INetwork net = second is null ? description.Build(accelerator, classes.Length)
            : new TwoTowerAlexNet(description, accelerator, second, classes.Length);
        try
        {
            Checkpoint.LoadNetwork(net, file);
            // checkpoints from before the image pipeline have no transform: the images as they are
            string spec = file.Metadata.TryGetValue("eval_transform", out var s) ? s : "";
            var tf = new Transform(Transform.ParseSteps(spec), net.InputShape, file.GetJson<float[]>("mean"),
                file.GetJson<float[]>("std"));
            return new TrainedModel(net, description, classes, tf, spec);
        }
        catch { net.Dispose(); throw; }
    }

    /// <summary>A transform for evaluation: the checkpoint's, or the ten-crop variant of it.</summary>
    public Transform EvaluationTransform(bool tenCrop)
    {
        if (!tenCrop) return Transform;
        var steps = Transform.ParseSteps(ModelZoo.TenCropOf(EvalTransform));
        if (!steps.Any(s => s is TenCrop)) throw new ArgumentException(
            $"--ten-crop needs a center-crop step in the checkpoint's evaluation transform '{EvalTransform}'");
        return new Transform(steps, Network.InputShape, Transform.Mean, Transform.Std);
    }

    /// <summary>
    /// Softmax probabilities for each image, (images, classes); images of any size go through the evaluation transform.
    /// </summary>
    public float[][] Predict(IReadOnlyList<Image> images)
    {
        const int chunk = 32;
        int k = Network.Classes, size = Transform.SampleSize;
        var results = new float[images.Count][];
        var input = new float[chunk * size];
        var logits = new float[chunk * k];
        for (int start = 0; start < images.Count; start += chunk)
        {
            int n = Math.Min(chunk, images.Count - start);
            for (int i = 0; i < n; i++) Transform.Apply(images[start + i], input.AsSpan(i * size, size), new Rng(1));
            var z = Network.Forward(input.AsSpan(0, n * size), n, training: false);
            Network.OutputDevice.CopyToHost(z, logits.AsSpan(0, n * k));
            for (int i = 0; i < n; i++)
            {
                var row = logits.AsSpan(i * k, k);
                float max = row[Metrics.ArgMax(row)];
                var p = new float[k];
                double sum = 0;
                for (int j = 0; j < k; j++) { p[j] = MathF.Exp(row[j] - max); sum += p[j]; }
                for (int j = 0; j < k; j++) p[j] = (float)(p[j] / sum);
                results[start + i] = p;
            }
        }
        return results;
    }

    public void Dispose() => Network.Dispose();
}

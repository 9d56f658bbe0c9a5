using System.Text.Json;
using GpuNet.Data;
using GpuNet.Models;
using GpuNet.Runtime;

namespace GpuNet.Training;

/// <summary>A model restored from a checkpoint with what it needs to read images: class names and normalisation.</summary>
public sealed class TrainedModel : IDisposable
{
    private TrainedModel(Model model, string[] classes, BatchBuilder builder) { Model = model; Classes = classes; Builder = builder; }

    public Model Model { get; }
    public string[] Classes { get; }
    public BatchBuilder Builder { get; }

    public static TrainedModel Open(string checkpointPath, Accelerator accelerator)
    {
        var file = Checkpoint.Read(checkpointPath);
        string name = file.Get("model");
        var classes = file.GetJson<string[]>("classes");
        Model model;
        try { model = ModelZoo.Create(name, accelerator, classes.Length); }
        catch (ArgumentException e) { throw new CheckpointException($"{checkpointPath}: {e.Message}", e); }
        try
        {
            Checkpoint.LoadParameters(model, file);
            var builder = new BatchBuilder(model.InputShape, file.GetJson<float[]>("mean"), file.GetJson<float[]>("std"));
            return new TrainedModel(model, classes, builder);
        }
        catch { model.Dispose(); throw; }
    }

    /// <summary>Softmax probabilities for each image, (images, classes).</summary>
    public float[][] Predict(IReadOnlyList<Image> images)
    {
        var results = new float[images.Count][];
        for (int i = 0; i < images.Count; i++)
        {
            var im = images[i];
            if (im.Width != images[0].Width || im.Height != images[0].Height)
                throw new DataException($"image {i + 1} is {im.Width}x{im.Height}, the first is {images[0].Width}x{images[0].Height}; predict one size at a time");
        }
        // planar bytes for every image, then one forward pass per image batch
        int c = images.Max(im => im.Channels), plane = images[0].Width * images[0].Height;
        var pixels = new byte[images.Count * c * plane];
        for (int i = 0; i < images.Count; i++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < plane; p++)
                    pixels[(i * c + ch) * plane + p] = images[i].Pixels[p * images[i].Channels + (images[i].Channels == 1 ? 0 : ch)];
        var all = new ImageSet(Classes, c, images[0].Height, images[0].Width, pixels, new int[images.Count]);
        Builder.Validate(all, "input images");
        var host = new float[images.Count * Builder.SampleSize];
        Builder.Fill(all, Enumerable.Range(0, images.Count).ToArray(), host, new int[images.Count]);
        using var x = Model.Accelerator.FromHost(host, [images.Count, .. Model.InputShape]);
        var logits = Model.Forward(x, training: false).ToArray();
        int k = Model.Classes;
        for (int i = 0; i < images.Count; i++)
        {
            var row = logits.AsSpan(i * k, k);
            float max = row[Metrics.ArgMax(row)];
            var p = new float[k];
            double sum = 0;
            for (int j = 0; j < k; j++) { p[j] = MathF.Exp(row[j] - max); sum += p[j]; }
            for (int j = 0; j < k; j++) p[j] = (float)(p[j] / sum);
            results[i] = p;
        }
        return results;
    }

    public void Dispose() => Model.Dispose();
}

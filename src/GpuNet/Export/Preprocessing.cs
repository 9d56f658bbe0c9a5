using System.Globalization;
using System.Text.Json;
using GpuNet.Data;
using GpuNet.Training;

namespace GpuNet.Export;

/// <summary>
/// What a user of an exported model must do to an image before the model sees it, and what its outputs mean: taken
/// from the checkpoint (class names, per-channel mean and std of the training images, the evaluation transform).
/// </summary>
/// <param name="Model">Model name, e.g. <c>alexnet-small</c>.</param>
/// <param name="InputShape">Per-sample input (C, H, W).</param>
/// <param name="Mean">Per-channel mean in [0, 1] units.</param>
/// <param name="Std">Per-channel standard deviation in [0, 1] units.</param>
/// <param name="Classes">Class names, in output order.</param>
/// <param name="EvalTransform">The checkpoint's evaluation transform (e.g. <c>resize:76,center-crop:67</c>).</param>
public sealed record Preprocessing(string Model, int[] InputShape, float[] Mean, float[] Std, string[] Classes,
    string EvalTransform)
{
    /// <summary>The preprocessing of a checkpoint opened for evaluation.</summary>
    public static Preprocessing Of(TrainedModel model, string name) => new(name, model.Network.InputShape,
        model.Transform.Mean, model.Transform.Std, model.Classes, model.EvalTransform);

    /// <summary>RGB for three channels (planes in that order), gray (ITU-R 601 luma) for one.</summary>
    public string ChannelOrder => InputShape[0] == 3 ? "RGB" : "gray";

    /// <summary>How an image becomes the model's input, in words, from the evaluation transform.</summary>
    public string Steps
    {
        get
        {
            var parsed = Transform.ParseSteps(EvalTransform);
            int h = InputShape[1], w = InputShape[2];
            var steps = parsed.Select(s => s switch
            {
                ResizeShorter r =>
                    $"resize so the shorter side is {r.Size} px, keeping the aspect ratio (antialiased bilinear)",
                CenterCrop c => $"take the central {c.Height}x{c.Width} window",
                TenCrop c => $"take the central {c.Height}x{c.Width} window",
                _ => s.ToString(),
            }).ToList();
            if (steps.Count == 0) steps.Add("take the image as it is");
            if (parsed is not [.., CenterCrop c] || (c.Height, c.Width) != (h, w))
                steps.Add($"centre it on the {h}x{w} input (cropping, or padding with black)");
            steps.Add(InputShape[0] == 3 ? "RGB channels" : "gray (0.299 R + 0.587 G + 0.114 B)");
            steps.Add("x = (pixel / 255 - mean[c]) / std[c] per channel");
            steps.Add($"planar float32, NCHW: (batch, {string.Join(", ", InputShape)})");
            return string.Join("; ", steps);
        }
    }

    /// <summary>The ONNX <c>metadata_props</c>: every value a string (lists as JSON).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata() =>
    [
        new("model", Model),
        new("classes", JsonSerializer.Serialize(Classes)),
        new("input_shape", JsonSerializer.Serialize(InputShape)),
        new("channel_order", ChannelOrder),
        new("mean", Json(Mean)),
        new("std", Json(Std)),
        new("normalization", "x = (pixel / 255 - mean[c]) / std[c]"),
        new("eval_transform", EvalTransform),
        new("preprocessing", Steps),
        new("outputs", "probabilities: softmax over the classes, (batch, classes); logits: (batch, classes)"),
    ];

    private static string Json(float[] values) =>
        "[" + string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "]";
}

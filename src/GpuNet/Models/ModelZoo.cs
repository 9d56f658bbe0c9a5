using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>The models GpuNet knows by name.</summary>
public static class ModelZoo
{
    public static readonly string[] Names = ["lenet5", "alexnet", "alexnet-small"];

    /// <summary>Per-sample input shape of a named model.</summary>
    public static int[] InputShape(string name) => AlexNetSpec.Find(name)?.InputShape ?? [1, 32, 32];

    /// <summary>
    /// Default image transforms (<see cref="Data.Transform"/> specs) for training and evaluation. AlexNet follows the
    /// paper (§4.1): shorter side 256, random 227 crops with horizontal flips and PCA colour augmentation for training,
    /// the centre crop for evaluation (ten crops with --ten-crop); alexnet-small scales the same to its 67×67 input
    /// (shorter side 76). LeNet-5 takes images as they are, centred on its input (MNIST's 28×28 padded to 32×32).
    /// </summary>
    public static (string Train, string Eval) DefaultTransforms(string name)
    {
        var shape = InputShape(name);
        if (Canonical(name) == "lenet5") return ("", "");
        int crop = shape[1], shorter = (int)Math.Round(crop * 256.0 / 227.0);
        return ($"resize:{shorter},random-crop:{crop},flip,pca-color:0.1", $"resize:{shorter},center-crop:{crop}");
    }

    /// <summary>The evaluation transform with its centre crop replaced by the paper's ten crops.</summary>
    public static string TenCropOf(string evalTransform) =>
        string.Join(",",
            evalTransform.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.StartsWith("center-crop:", StringComparison.OrdinalIgnoreCase) ? "ten-crop:"
                + s["center-crop:".Length..] : s));

    public static int DefaultClasses(string name) => Canonical(name) == "alexnet" ? 1000 : 10;

    public static string Canonical(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        return Names.Contains(n) ? n
            : throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}");
    }

    public static Model Create(string name, Accelerator accelerator, int? classes = null)
    {
        string n = Canonical(name);
        int k = classes ?? DefaultClasses(n);
        if (k < 2) throw new ArgumentException($"a classifier needs at least 2 classes, got {k}");
        var layers = AlexNetSpec.Find(n)?.Grouped(k) ?? LeNet5(k);
        return new Model(n, accelerator, InputShape(n), layers);
    }

    // LeNet-5 (LeCun et al. 1998) on 32×32 inputs, with ReLU and max pooling: 61,706 parameters.
    private static IEnumerable<Layer> LeNet5(int classes) =>
    [
        new Conv2d("conv1", 6, 5), new Activation("relu1", ActivationKind.Relu), new Pool2d("pool1", true, 2, 2),
        new Conv2d("conv2", 16, 5), new Activation("relu2", ActivationKind.Relu), new Pool2d("pool2", true, 2, 2),
        new Conv2d("conv3", 120, 5), new Activation("relu3", ActivationKind.Relu), new Flatten("flatten"),
        new Dense("fc1", 84), new Activation("relu4", ActivationKind.Relu),
        new Dense("fc2", classes),
    ];
}

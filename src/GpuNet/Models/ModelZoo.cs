using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>The models GpuNet knows by name.</summary>
public static class ModelZoo
{
    public static readonly string[] Names = ["lenet5", "alexnet", "alexnet-small"];

    /// <summary>Per-sample input shape of a named model.</summary>
    public static int[] InputShape(string name) => Canonical(name) switch
    {
        "lenet5" => [1, 32, 32],
        "alexnet" => [3, 227, 227],
        _ => [3, 67, 67],
    };

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
        string.Join(",", evalTransform.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.StartsWith("center-crop:", StringComparison.OrdinalIgnoreCase) ? "ten-crop:" + s["center-crop:".Length..] : s));

    public static int DefaultClasses(string name) => Canonical(name) == "alexnet" ? 1000 : 10;

    public static string Canonical(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        return Names.Contains(n) ? n : throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)}");
    }

    public static Model Create(string name, Accelerator accelerator, int? classes = null)
    {
        string n = Canonical(name);
        int k = classes ?? DefaultClasses(n);
        if (k < 2) throw new ArgumentException($"a classifier needs at least 2 classes, got {k}");
        var layers = n switch
        {
            "lenet5" => LeNet5(k),
            "alexnet" => AlexNet(k, 1),
            _ => AlexNet(k, 4),
        };
        var model = new Model(n, accelerator, InputShape(n), layers);
        if (n != "lenet5") MarkAlexNetBiases(model);
        return model;
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

    // AlexNet (Krizhevsky et al. 2012; Caffe's bvlc_alexnet) with groups=2 on conv2, conv4, conv5: 60,965,224 parameters
    // at width 1. LRN normalises within each half of the channels, as each GPU of the 2012 network did with its own kernel
    // maps, so the single-device model computes exactly what the two-tower model does. alexnet-small divides every width
    // by 4 and takes 67×67 inputs, keeping groups, LRN, overlapping pooling and dropout.
    private static IEnumerable<Layer> AlexNet(int classes, int div)
    {
        var lrn = new LrnParameters(5, 1e-4f, 0.75f, 2f, Groups: 2);
        return
        [
            new Conv2d("conv1", 96 / div, 11, 4), new Activation("relu1", ActivationKind.Relu), new Lrn("norm1", lrn), new Pool2d("pool1", true, 3, 2),
            new Conv2d("conv2", 256 / div, 5, 1, 2, 2), new Activation("relu2", ActivationKind.Relu), new Lrn("norm2", lrn), new Pool2d("pool2", true, 3, 2),
            new Conv2d("conv3", 384 / div, 3, 1, 1), new Activation("relu3", ActivationKind.Relu),
            new Conv2d("conv4", 384 / div, 3, 1, 1, 2), new Activation("relu4", ActivationKind.Relu),
            new Conv2d("conv5", 256 / div, 3, 1, 1, 2), new Activation("relu5", ActivationKind.Relu), new Pool2d("pool5", true, 3, 2),
            new Flatten("flatten"),
            new Dense("fc6", 4096 / div / (div > 1 ? 4 : 1)), new Activation("relu6", ActivationKind.Relu), new Dropout("drop6", 0.5f, 6),
            new Dense("fc7", 4096 / div / (div > 1 ? 4 : 1)), new Activation("relu7", ActivationKind.Relu), new Dropout("drop7", 0.5f, 7),
            new Dense("fc8", classes),
        ];
    }

    private static void MarkAlexNetBiases(Model model)
    {
        foreach (var p in model.Parameters)
            if (p.Role == ParameterRole.Bias && p.Name is "conv2.bias" or "conv4.bias" or "conv5.bias" or "fc6.bias" or "fc7.bias")
                p.AlexNetBias = 1f;
    }
}

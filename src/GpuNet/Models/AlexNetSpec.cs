using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>What a layer of AlexNet reads, in the 2012 network's two towers (one GPU each).</summary>
public enum TowerInput
{
    /// <summary>The image, which each tower reads whole (conv1).</summary>
    Image,
    /// <summary>Its own tower's maps only (conv2, conv4, conv5): groups = 2 in the single-device model.</summary>
    OwnTower,
    /// <summary>Both towers' outputs (conv3, fc6, fc7, fc8): the split network copies across devices first.</summary>
    BothTowers,
}

/// <summary>
/// One convolution of AlexNet, with the ReLU after it and, where set, LRN and overlapping max pooling (3×3, stride 2).
/// </summary>
/// <param name="Filters">Output channels of the whole layer (both towers).</param>
/// <param name="Kernel">Square kernel size.</param>
/// <param name="Stride">Stride in both directions.</param>
/// <param name="Padding">Zero padding on every side.</param>
/// <param name="Input">What the layer reads of the two towers.</param>
/// <param name="Norm">Whether LRN follows the ReLU.</param>
/// <param name="Pool">Whether max pooling follows.</param>
/// <param name="InitialBias">The bias AlexNet's initialisation gives it (1 on conv2, conv4, conv5).</param>
public sealed record AlexNetConv(int Filters, int Kernel, int Stride, int Padding, TowerInput Input, bool Norm,
    bool Pool, float InitialBias);

/// <summary>
/// AlexNet (Krizhevsky et al. 2012; Caffe's bvlc_alexnet), described once: the convolutions, the hidden fully connected
/// layers and the settings they share. <see cref="Grouped"/> builds the single-device model (groups = 2 where a layer
/// reads only its own tower, LRN within each half of the channels) and <see cref="TowerStages"/> one tower of the split
/// network, so both compute the same function; the ONNX export walks the single-device model.
/// </summary>
/// <param name="Name">Model name (<c>alexnet</c>, <c>alexnet-small</c>).</param>
/// <param name="InputSize">Height and width of the RGB input.</param>
/// <param name="Convs">conv1 … conv5.</param>
/// <param name="Hidden">Width of each hidden fully connected layer (fc6, fc7), both towers together.</param>
/// <param name="HiddenLayers">Number of hidden fully connected layers.</param>
/// <param name="HiddenBias">The bias AlexNet's initialisation gives the hidden fully connected layers.</param>
/// <param name="Lrn">Local response normalisation (size 5, α 1e-4, β 0.75, k 2) within one tower's channels.</param>
/// <param name="DropoutP">Dropout probability after each hidden fully connected layer.</param>
public sealed record AlexNetSpec(string Name, int InputSize, AlexNetConv[] Convs, int Hidden, int HiddenLayers,
    float HiddenBias, LrnParameters Lrn, float DropoutP)
{
    /// <summary>Towers of the 2012 network; every split layer holds 1/Towers of the channels.</summary>
    public const int Towers = 2;

    /// <summary>The paper's network on 227×227 inputs: 60,965,224 parameters with 1000 classes.</summary>
    public static readonly AlexNetSpec Paper = new("alexnet", 227,
    [
        new(96, 11, 4, 0, TowerInput.Image, Norm: true, Pool: true, InitialBias: 0f),
        new(256, 5, 1, 2, TowerInput.OwnTower, Norm: true, Pool: true, InitialBias: 1f),
        new(384, 3, 1, 1, TowerInput.BothTowers, Norm: false, Pool: false, InitialBias: 0f),
        new(384, 3, 1, 1, TowerInput.OwnTower, Norm: false, Pool: false, InitialBias: 1f),
        new(256, 3, 1, 1, TowerInput.OwnTower, Norm: false, Pool: true, InitialBias: 1f),
    ], Hidden: 4096, HiddenLayers: 2, HiddenBias: 1f, new LrnParameters(5, 1e-4f, 0.75f, 2f), DropoutP: 0.5f);

    /// <summary>
    /// The same network for small images: every convolution a quarter as wide, the hidden layers a sixteenth, 67×67
    /// inputs; groups, LRN, overlapping pooling and dropout are kept.
    /// </summary>
    public static readonly AlexNetSpec Small = Paper with
    {
        Name = "alexnet-small",
        InputSize = 67,
        Convs = Paper.Convs.Select(c => c with { Filters = c.Filters / 4 }).ToArray(),
        Hidden = Paper.Hidden / 16,
    };

    /// <summary>The AlexNet of that name, or null (LeNet-5, a model of one's own).</summary>
    public static AlexNetSpec? Find(string model) => model.Trim().ToLowerInvariant() switch
    {
        "alexnet" => Paper,
        "alexnet-small" => Small,
        _ => null,
    };

    /// <summary>Per-sample input shape (3, InputSize, InputSize).</summary>
    public int[] InputShape => [3, InputSize, InputSize];

    /// <summary>Name of the classifier layer (fc8).</summary>
    public string Classifier => $"fc{Convs.Length + HiddenLayers + 1}";

    /// <summary>The single-device model's layers: groups = 2 where a convolution reads its own tower only.</summary>
    public IEnumerable<Layer> Grouped(int classes)
    {
        var lrn = Lrn with { Groups = Towers };   // each tower normalised its own maps
        for (int i = 0; i < Convs.Length; i++)
        {
            var c = Convs[i];
            int n = i + 1, groups = c.Input == TowerInput.OwnTower ? Towers : 1;
            yield return new Conv2d($"conv{n}", c.Filters, c.Kernel, c.Stride, c.Padding, groups);
            foreach (var l in AfterConv(c, n, "", lrn)) yield return l;
        }
        yield return new Flatten("flatten");
        for (int j = 0; j < HiddenLayers; j++)
        {
            int n = Convs.Length + j + 1;
            yield return new Dense($"fc{n}", Hidden);
            yield return new Activation($"relu{n}", ActivationKind.Relu);
            yield return new Dropout($"drop{n}", DropoutP, (uint)n);
        }
        yield return new Dense(Classifier, classes);
    }

    /// <summary>
    /// Tower <paramref name="t"/>'s layers (named <c>tower{t}.conv1</c> …), split into stages: a new stage begins at
    /// each layer that reads both towers (conv3, fc6, fc7), where the split network exchanges its tensors. The
    /// classifier, which reads both towers' last stage, is not included.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Layer>> TowerStages(int t)
    {
        string P(string layer) => $"tower{t}.{layer}";
        var stages = new List<List<Layer>>();
        for (int i = 0; i < Convs.Length; i++)
        {
            var c = Convs[i];
            int n = i + 1;
            if (stages.Count == 0 || c.Input == TowerInput.BothTowers) stages.Add([]);
            stages[^1].Add(new Conv2d(P($"conv{n}"), c.Filters / Towers, c.Kernel, c.Stride, c.Padding));
            stages[^1].AddRange(AfterConv(c, n, $"tower{t}.", Lrn));
        }
        stages[^1].Add(new Flatten(P("flatten")));
        int width = Hidden / Towers;
        for (int j = 0; j < HiddenLayers; j++)
        {
            int n = Convs.Length + j + 1;
            // dropout indexes this tower's columns of the whole layer, so its masks are the single model's
            stages.Add([
                new Dense(P($"fc{n}"), width), new Activation(P($"relu{n}"), ActivationKind.Relu),
                new Dropout(P($"drop{n}"), DropoutP, (uint)n, t * width, Hidden),
            ]);
        }
        return stages;
    }

    private IEnumerable<Layer> AfterConv(AlexNetConv c, int n, string prefix, LrnParameters lrn)
    {
        yield return new Activation($"{prefix}relu{n}", ActivationKind.Relu);
        if (c.Norm) yield return new Lrn($"{prefix}norm{n}", lrn);
        if (c.Pool) yield return new Pool2d($"{prefix}pool{n}", true, 3, 2);
    }

    /// <summary>
    /// The bias AlexNet's initialisation gives a parameter, by its single-device name (<c>conv2.bias</c> → 1); 0 for
    /// every other bias.
    /// </summary>
    public float InitialBias(string parameter)
    {
        for (int i = 0; i < Convs.Length; i++)
            if (parameter == $"conv{i + 1}.bias") return Convs[i].InitialBias;
        for (int j = 0; j < HiddenLayers; j++)
            if (parameter == $"fc{Convs.Length + j + 1}.bias") return HiddenBias;
        return 0f;
    }
}

using System.Globalization;
using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Layers;

/// <summary>Local response normalisation across channels (AlexNet: size 5, k 2, α 1e-4, β 0.75).</summary>
public sealed class Lrn(string name, LrnParameters p) : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "lrn",
            Summary = "local response normalisation across channels: x / (k + α/size · Σ x²)^β",
            Settings =
            [
                new("size", "a positive odd integer", "5", "channels in the window"),
                new("alpha", "a number", "0.0001", "α"),
                new("beta", "a number", "0.75", "β"),
                new("k", "a number", "2", "k"),
                new("groups", "a positive integer", "1", "channel groups the window never crosses (AlexNet: 2)"),
            ],
            Create = a => new Lrn(a.Name, new LrnParameters(a.Int("size", 1) is int n && n % 2 == 1 ? n
                    : throw a.Error("size", $"size is {n}, expected an odd number (a window centred on its channel)"),
                a.Float("alpha"), a.Float("beta"), a.Float("k"), a.Int("groups", 1))),
        },
    ];

    private Tensor? _x, _yOut, _scale;

    /// <summary>Window size, α, β, k and channel groups.</summary>
    public LrnParameters Settings => p;
    public override string Kind => "LRN";
    public override string Details => $"n{p.Size} k{p.K} a{p.Alpha} b{p.Beta}" + (p.Groups > 1 ? $" g{p.Groups}" : "");
    protected override int[] SetupInternal(int[] s) => s.Length == 3 ? s
        : throw new ArgumentException($"LRN needs (C, H, W) input, got {Shapes.Format(s)}");

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        _yOut = Output(x.Shape[0]);
        Accelerator.LrnForward(x, _yOut, Buffer(ref _scale, x.Shape[0], OutputShape), p);
        return _yOut;
    }

    public override Tensor? Backward(Tensor dy)
    {
        if (!PropagateDown) return null;
        var dx = InputGradient(dy.Shape[0]);
        Accelerator.LrnBackward(_x!, _yOut!, Buffer(ref _scale, dy.Shape[0], OutputShape), dy, dx, p);
        return dx;
    }

    public override void Dispose() { Free(ref _scale); base.Dispose(); }
}

/// <summary>
/// Batch normalisation per channel (or per feature for (N, F) inputs), with running statistics for evaluation.
/// </summary>
public sealed class BatchNorm(string name, float momentum = 0.1f, float epsilon = 1e-5f)
    : BufferedLayer(name), IDescribedLayer
{
    public static IEnumerable<LayerType> Types =>
    [
        new()
        {
            Name = "batchnorm",
            Summary = "batch normalisation per channel (per feature for (F) inputs), running statistics for evaluation",
            Settings =
            [
                new("momentum", "a number in [0, 1]", "0.1", "the running statistics' update weight"),
                new("epsilon", "a positive number", "1e-05", "added to the variance"),
            ],
            Create = a => new BatchNorm(a.Name, a.Float("momentum", 0f, 1f), a.Float("epsilon", float.Epsilon)),
        },
    ];

    /// <summary>The running statistics' update weight.</summary>
    public float Momentum => momentum;

    private Tensor? _x, _saveMean, _saveInvStd;
    public Parameter Gamma { get; private set; } = null!;
    public Parameter Beta { get; private set; } = null!;
    public Parameter RunningMean { get; private set; } = null!;
    public Parameter RunningVariance { get; private set; } = null!;

    /// <summary>ε added to the variance.</summary>
    public float Epsilon => epsilon;
    public override string Kind => "BatchNorm";

    protected override int[] SetupInternal(int[] s)
    {
        int c = s[0];
        Gamma = AddParameter("gamma", ParameterRole.Scale, [c], true, 1, 1);
        Beta = AddParameter("beta", ParameterRole.Shift, [c], true, 1, 1);
        RunningMean = AddParameter("running_mean", ParameterRole.RunningMean, [c], false, 1, 1);
        RunningVariance = AddParameter("running_var", ParameterRole.RunningVariance, [c], false, 1, 1);
        Accelerator.Fill(Gamma.Data, 1f);
        Accelerator.Fill(RunningVariance.Data, 1f);
        _saveMean = Accelerator.Zeros(c);
        _saveInvStd = Accelerator.Zeros(c);
        return s;
    }

    public override Tensor Forward(Tensor x, bool training)
    {
        _x = x;
        var y = Output(x.Shape[0]);
        if (training)
            Accelerator.BatchNormForwardTraining(x, Gamma.Data, Beta.Data, y, RunningMean.Data, RunningVariance.Data,
                _saveMean!, _saveInvStd!, momentum, epsilon);
        else
            Accelerator.BatchNormForwardInference(x, Gamma.Data, Beta.Data, RunningMean.Data, RunningVariance.Data, y,
                epsilon);
        return y;
    }

    public override Tensor? Backward(Tensor dy)
    {
        var dx = InputGradient(dy.Shape[0]);
        Accelerator.BatchNormBackward(_x!, dy, Gamma.Data, _saveMean!, _saveInvStd!, dx, Gamma.Grad!, Beta.Grad!);
        return PropagateDown ? dx : null;
    }

    public override void Dispose() { Free(ref _saveMean); Free(ref _saveInvStd); base.Dispose(); }
}

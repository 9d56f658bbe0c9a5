namespace GpuNet.Training;

/// <summary>Everything that defines a training run; stored in every checkpoint so a run can be resumed.</summary>
/// <remarks>
/// The defaults are the LeNet-5/MNIST recipe measured to reach 99.1–99.2% test accuracy in 5 epochs
/// (momentum 0.9, lr 0.02 × 0.7 per epoch, batch 32; see bench/RESULTS.md).
/// </remarks>
public sealed record TrainOptions
{
    public string Model { get; init; } = "lenet5";
    /// <summary>Data folder holding <c>train/&lt;class&gt;/*</c> and optionally <c>test/&lt;class&gt;/*</c>.</summary>
    public string Data { get; init; } = "";
    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 32;
    public string Optimizer { get; init; } = "momentum";
    public float LearningRate { get; init; } = 0.02f;
    public float Momentum { get; init; } = 0.9f;
    public float WeightDecay { get; init; }
    public float L1 { get; init; }
    public string Schedule { get; init; } = "step:1:0.7";
    public string Init { get; init; } = "uniform";
    public string Loss { get; init; } = "cross-entropy";
    public ulong Seed { get; init; } = 1;
    public string Device { get; init; } = "cpu";
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Use at most this many training images (0 = all); for quick experiments and tests.</summary>
    public int Limit { get; init; }
    /// <summary>Fail on the first unreadable image instead of skipping it with a warning.</summary>
    public bool Strict { get; init; }
    public string Out { get; init; } = "";
}

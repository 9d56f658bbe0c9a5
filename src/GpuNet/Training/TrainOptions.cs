namespace GpuNet.Training;

/// <summary>Everything that defines a training run; stored in every checkpoint so a run can be resumed.</summary>
/// <remarks>
/// The defaults are the LeNet-5/MNIST recipe measured to reach 99.04–99.18% test accuracy in 5 epochs over seeds 1–3
/// (momentum 0.9, lr 0.02 × 0.7 per epoch, batch 32; see bench/RESULTS.md).
/// </remarks>
public sealed record TrainOptions
{
    /// <summary>
    /// The network's name: a shipped one (<c>lenet5</c>, <c>resnet20</c>, …) unless <see cref="Network"/> is given.
    /// </summary>
    public string Model { get; init; } = "lenet5";
    /// <summary>
    /// The network file the run was started from (null: the shipped <see cref="Model"/>). Informational once the run
    /// has started: its checkpoints hold the whole description, so resuming needs neither.
    /// </summary>
    public string? Network { get; init; }
    /// <summary>Data folder holding <c>train/&lt;class&gt;/*</c> and optionally <c>test/&lt;class&gt;/*</c>.</summary>
    public string Data { get; init; } = "";
    public int Epochs { get; init; } = 5;
    public int Batch { get; init; } = 32;
    public string Optimizer { get; init; } = "momentum";
    public float LearningRate { get; init; } = 0.02f;
    public float Momentum { get; init; } = Optim.UpdateRules.DefaultMomentum;
    public float WeightDecay { get; init; }
    public float L1 { get; init; }
    public string Schedule { get; init; } = "step:1:0.7";
    /// <summary>
    /// The initialisation scheme (<see cref="Models.InitScheme"/>): file (the default: each layer's own initialisers,
    /// else uniform), alexnet, or uniform, xavier, he for every parameter.
    /// </summary>
    public string Init { get; init; } = "file";
    public string Loss { get; init; } = "cross-entropy";
    public ulong Seed { get; init; } = 1;
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// How ILGPU devices run convolutions: auto (a fixed rule per shape: the same seed gives the same run), direct,
    /// im2col, or measure (times both per shape once; the choices are recorded in the checkpoint).
    /// </summary>
    public string ConvAlgorithm { get; init; } = "auto";
    /// <summary>Two devices "A,B" for the two-tower AlexNet split (null: one device, <see cref="Device"/>).</summary>
    public string? Devices { get; init; }
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>Use at most this many training images (0 = all); for quick experiments and tests.</summary>
    public int Limit { get; init; }
    /// <summary>Fail on the first unreadable image instead of skipping it with a warning.</summary>
    public bool Strict { get; init; }
    public string Out { get; init; } = "";
    /// <summary>
    /// Start even when <see cref="Out"/> holds a run, replacing its checkpoints, metrics and plot (without it, such a
    /// folder is refused). Not stored in checkpoints: it belongs to one invocation, not to the run.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Overwrite { get; init; }

    /// <summary>
    /// The defaults for a shipped network: its file's <c>training:</c> section over the defaults above (LeNet-5's MNIST
    /// recipe is those defaults; AlexNet's files give He initialisation, lr 0.01 held constant for 15 epochs).
    /// </summary>
    public static TrainOptions ForModel(string model) => ForNetwork(Models.ModelZoo.Describe(model));

    /// <summary>The defaults for a described network (its <c>training:</c> section), named after it.</summary>
    public static TrainOptions ForNetwork(Networks.NetworkDescription d) =>
        Networks.TrainingDefaults.Apply(new TrainOptions { Model = d.Name }, d);

    /// <summary>Training image transform spec (null: the model's default, see ModelZoo.DefaultTransforms).</summary>
    public string? TrainTransform { get; init; }
    /// <summary>
    /// The training and evaluation transform specs in effect: the options', else the network's.
    /// </summary>
    public (string Train, string Eval) TransformSpecs(Networks.NetworkDescription network)
    {
        var (train, eval) = Models.ModelZoo.DefaultTransforms(network);
        return (TrainTransform ?? train, EvalTransform ?? eval);
    }
    /// <summary>Evaluation image transform spec (null: the model's default).</summary>
    public string? EvalTransform { get; init; }
    /// <summary>Report the test accuracy averaged over the paper's ten crops.</summary>
    public bool TenCrop { get; init; }
    /// <summary>Decode/augment threads (0: one per core).</summary>
    public int Workers { get; init; }
    /// <summary>Batches prepared ahead of the training loop.</summary>
    public int Prefetch { get; init; } = 2;
    /// <summary>
    /// Keep decoded images in memory: auto (when they fit in CacheMiB), on, off (decode every epoch).
    /// </summary>
    public string Cache { get; init; } = "auto";
    public int CacheMiB { get; init; } = 2048;
    /// <summary>Images over this many pixels are refused before decoding (decompression bombs).</summary>
    public long MaxPixels { get; init; } = GpuNet.Data.ImageDecoder.DefaultMaxPixels;
    /// <summary>TRAIN/VAL/TEST ratios for a data folder without train/ (seeded split).</summary>
    public string SplitRatios { get; init; } = "80/10/10";

    /// <summary>The most images a batch may hold (the loader's buffers are indexed by int).</summary>
    public const int MaxBatch = 1 << 16;

    /// <summary>
    /// Checks every option before any work starts; the first bad one is an <see cref="ArgumentException"/> naming the
    /// option, the value and what is expected.
    /// </summary>
    public void Validate()
    {
        static void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(Epochs >= 1, $"--epochs must be at least 1, got {Epochs}");
        Require(Batch is >= 1 and <= MaxBatch, $"--batch must be between 1 and {MaxBatch}, got {Batch}");
        Require(float.IsFinite(LearningRate) && LearningRate > 0,
            $"--lr must be a positive finite number, got {LearningRate}");
        Require(float.IsFinite(Momentum) && Momentum is >= 0 and < 1, $"--momentum must be in [0, 1), got {Momentum}");
        Require(float.IsFinite(WeightDecay) && WeightDecay >= 0,
            $"--weight-decay must be ≥ 0 and finite, got {WeightDecay}");
        Require(float.IsFinite(L1) && L1 >= 0, $"--l1 must be ≥ 0 and finite, got {L1}");
        Require(ValidationFraction is >= 0 and < 1, $"--validation must be in [0, 1), got {ValidationFraction}");
        Require(Limit >= 0, $"--limit must be ≥ 0 (0: every image), got {Limit}");
        Require(Workers >= 0, $"--workers must be ≥ 0 (0: one per core), got {Workers}");
        Require(Prefetch >= 1, $"--prefetch must be at least 1, got {Prefetch}");
        Require(CacheMiB >= 0, $"--cache-mib must be ≥ 0, got {CacheMiB}");
        Require(MaxPixels >= 1, $"--max-pixels must be positive, got {MaxPixels}");
        Optim.LearningRateSchedule.Parse(Schedule);
        Models.Initializer.Parse(Init);
        Trainer.ParseLoss(Loss);
        Trainer.ParseConvAlgorithm(ConvAlgorithm);
        if (!Optim.Optimizer.Names.Contains(Optimizer.Trim().ToLowerInvariant()))
            throw new ArgumentException(
                $"unknown optimizer '{Optimizer}'; known: {string.Join(", ", Optim.Optimizer.Names)}");
        TrainingData.ParseRatios(SplitRatios);
    }
}

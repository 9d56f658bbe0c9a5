using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace GpuNet.Training;

/// <summary>
/// How far a run has come: everything a resume needs besides the weights, the optimizer's tensors and the run's fixed
/// description. Saved whole as the checkpoint's one <see cref="Key"/> entry, read back whole with every field
/// type-checked.
/// </summary>
public sealed record RunState
{
    /// <summary>The checkpoint metadata key holding the state as JSON.</summary>
    public const string Key = "state";

    /// <summary>The last completed epoch (the checkpoint holds the weights after it).</summary>
    public required int Epoch { get; init; }
    /// <summary>Training steps taken since the start (the network's step counter, which seeds dropout).</summary>
    public required long Step { get; init; }
    /// <summary>The run's random generator after the epoch: the next epoch's shuffle depends on it alone.</summary>
    public required ulong[] Rng { get; init; }
    /// <summary>The optimizer's update count (Adam's bias correction).</summary>
    public required int OptimizerStep { get; init; }
    /// <summary>The learning rate the next epoch uses (after the schedule's decision).</summary>
    public required float LearningRate { get; init; }
    public required double BestValidationAccuracy { get; init; }
    /// <summary>The epoch best.ckpt holds (0: none yet).</summary>
    public required int BestEpoch { get; init; }
    /// <summary>The plateau schedule's best accuracy and the epochs since it improved.</summary>
    public required double ScheduleBest { get; init; }
    public required int ScheduleStale { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>
    /// The state a checkpoint holds; a missing or malformed entry is a <see cref="CheckpointException"/>.
    /// </summary>
    public static RunState Of(CheckpointFile file)
    {
        if (!file.Metadata.TryGetValue(Key, out var text)) return Legacy(file);
        try
        {
            return JsonSerializer.Deserialize<RunState>(text, Json)
                ?? throw new CheckpointException($"{file.Path}: metadata '{Key}' is null, expected the run's state");
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{file.Path}: metadata '{Key}' is {Checkpoint.Quote(text)}, expected the " +
                $"run's state ({e.Message})", e);
        }
    }

    /// <summary>
    /// The last completed epoch, where the checkpoint records one (a training checkpoint), else null.
    /// </summary>
    public static int? EpochOf(CheckpointFile file) =>
        file.Metadata.ContainsKey(Key) ? Of(file).Epoch
        : file.Metadata.ContainsKey("epoch") ? Number(file, "epoch", int.Parse) : null;

    /// <summary>Checkpoints written before the state was one entry kept each field as a key of its own.</summary>
    private static RunState Legacy(CheckpointFile file) => new()
    {
        Epoch = Number(file, "epoch", int.Parse),
        Step = Number(file, "step", long.Parse),
        Rng = file.GetJson<ulong[]>("rng"),
        OptimizerStep = Number(file, "optimizer_step", int.Parse),
        LearningRate = Number(file, "learning_rate", float.Parse),
        BestValidationAccuracy = Number(file, "best_val_accuracy", double.Parse),
        BestEpoch = Number(file, "best_epoch", int.Parse),
        ScheduleBest = Number(file, "schedule_best", double.Parse),
        ScheduleStale = Number(file, "schedule_stale", int.Parse),
    };

    private static T Number<T>(CheckpointFile file, string key, Func<string, IFormatProvider, T> parse)
    {
        string text = file.Get(key);
        try { return parse(text, CultureInfo.InvariantCulture); }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CheckpointException($"{file.Path}: metadata '{key}' is {Checkpoint.Quote(text)}, " +
                $"expected a number of type {typeof(T).Name}", e);
        }
    }
}

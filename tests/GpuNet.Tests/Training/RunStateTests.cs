using System.Globalization;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>The run's progress in a checkpoint: one JSON entry, read back whole and type-checked.</summary>
public sealed class RunStateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-state").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly RunState Sample = new()
    {
        Epoch = 3, Step = 1234, Rng = [1, 2, 3, ulong.MaxValue], OptimizerStep = 1234, LearningRate = 0.01f,
        BestValidationAccuracy = 0.875, BestEpoch = 2, ScheduleBest = double.NegativeInfinity, ScheduleStale = 1,
    };

    private string Write(Dictionary<string, string> metadata)
    {
        string path = Path.Combine(_dir, "x.ckpt");
        metadata["format"] = Checkpoint.FormatVersion;
        Checkpoint.Save(path, metadata, Array.Empty<(string, int[], Func<float[]>)>());
        return path;
    }

    [Fact]
    public void The_state_round_trips_through_a_checkpoint_as_one_entry()
    {
        var file = Checkpoint.Read(Write(new() { [RunState.Key] = Sample.ToJson() }));
        var back = RunState.Of(file);
        Assert.Equal(Sample with { Rng = back.Rng }, back);
        Assert.Equal(Sample.Rng, back.Rng);
        Assert.Equal(3, RunState.EpochOf(file));
        Assert.Contains("\"best_validation_accuracy\":0.875", Sample.ToJson());
    }

    [Theory]
    [InlineData("null", "is null")]
    [InlineData("{\"epoch\":3}", "missing required properties")]
    [InlineData("{\"epoch\":\"three\"}", "epoch")]
    [InlineData("[1,2]", "expected the run's state")]
    public void A_malformed_state_names_the_file_and_the_entry(string json, string detail)
    {
        string path = Write(new() { [RunState.Key] = json });
        var e = Assert.Throws<CheckpointException>(() => RunState.Of(Checkpoint.Read(path)));
        Assert.StartsWith($"{path}: metadata 'state'", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void A_state_field_of_the_wrong_type_is_refused_not_defaulted()
    {
        string json = Sample.ToJson().Replace("\"rng\":[1,2,3,18446744073709551615]", "\"rng\":null");
        Assert.Contains("\"rng\":null", json);
        string path = Write(new() { [RunState.Key] = json });
        var e = Assert.Throws<CheckpointException>(() => RunState.Of(Checkpoint.Read(path)));
        Assert.Contains("rng", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_checkpoint_without_a_state_has_no_epoch_and_a_legacy_number_is_checked()
    {
        Assert.Null(RunState.EpochOf(Checkpoint.Read(Write(new() { ["model"] = "lenet5" }))));
        string path = Write(new() { ["epoch"] = "two" });
        var e = Assert.Throws<CheckpointException>(() => RunState.EpochOf(Checkpoint.Read(path)));
        Assert.Equal($"{path}: metadata 'epoch' is two, expected a number of type Int32", e.Message);
    }

    /// <summary>
    /// Rewrites a checkpoint in the layout of before the state was one entry (a metadata key a field), keeping its
    /// tensors: what a user's older run folder holds.
    /// </summary>
    public static void WriteLegacy(string path)
    {
        var file = Checkpoint.Read(path);
        var s = RunState.Of(file);
        var meta = new Dictionary<string, string>(file.Metadata);
        meta.Remove(RunState.Key);
        meta.Remove(Checkpoint.ChecksumKey);
        var inv = CultureInfo.InvariantCulture;
        meta["epoch"] = s.Epoch.ToString(inv);
        meta["step"] = s.Step.ToString(inv);
        meta["rng"] = System.Text.Json.JsonSerializer.Serialize(s.Rng);
        meta["optimizer_step"] = s.OptimizerStep.ToString(inv);
        meta["learning_rate"] = s.LearningRate.ToString("R", inv);
        meta["best_val_accuracy"] = s.BestValidationAccuracy.ToString("R", inv);
        meta["best_epoch"] = s.BestEpoch.ToString(inv);
        meta["schedule_best"] = s.ScheduleBest.ToString("R", inv);
        meta["schedule_stale"] = s.ScheduleStale.ToString(inv);
        Checkpoint.Save(path, meta,
            file.Tensors.Select(t => (t.Key, t.Value.Shape, (Func<float[]>)(() => t.Value.Data))));
    }
}

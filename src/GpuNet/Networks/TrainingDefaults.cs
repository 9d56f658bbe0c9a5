using System.Globalization;
using GpuNet.Training;

namespace GpuNet.Networks;

/// <summary>
/// A network file's <c>training:</c> section: the run's defaults for the options a command line leaves unsaid (the
/// recipe belongs with the network, as LeNet-5's MNIST recipe does).
/// </summary>
public static class TrainingDefaults
{
    /// <summary>Checks one entry; a bad value is an <see cref="ArgumentException"/> saying what is expected.</summary>
    public static void Check(string key, string value) => Apply(new TrainOptions(), key, value);

    /// <summary>The options with the description's defaults applied.</summary>
    public static TrainOptions Apply(TrainOptions o, NetworkDescription d) =>
        d.Training.Aggregate(o, (acc, kv) => Apply(acc, kv.Key, kv.Value));

    private static TrainOptions Apply(TrainOptions o, string key, string value)
    {
        int Int(int min) => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v)
            && v >= min ? v : throw new ArgumentException($"'{value}' is not an integer of at least {min}");
        float Float(float min, float max) =>
            float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v)
            && v >= min && v < max ? v : throw new ArgumentException(min == float.Epsilon
                ? $"'{value}' is not a positive number" : max == float.PositiveInfinity
                ? $"'{value}' is not a number of at least {min}" : $"'{value}' is not a number in [{min}, {max})");
        switch (key)
        {
            case "epochs": return o with { Epochs = Int(1) };
            case "batch": return o with { Batch = Int(1) };
            case "lr": return o with { LearningRate = Float(float.Epsilon, float.PositiveInfinity) };
            case "momentum": return o with { Momentum = Float(0, 1) };
            case "weight_decay": return o with { WeightDecay = Float(0, float.PositiveInfinity) };
            case "l1": return o with { L1 = Float(0, float.PositiveInfinity) };
            case "optimizer":
                if (!Optim.Optimizer.Names.Contains(value))
                    throw new ArgumentException($"unknown optimizer '{value}'; known: " +
                        string.Join(", ", Optim.Optimizer.Names));
                return o with { Optimizer = value };
            case "schedule": Optim.LearningRateSchedule.Parse(value); return o with { Schedule = value };
            case "init": Models.Initializer.Parse(value); return o with { Init = value };
            case "loss": Trainer.ParseLoss(value); return o with { Loss = value };
            default:
                throw new ArgumentException($"unknown training default '{key}'; known: " +
                    string.Join(", ", NetworkFile.TrainingKeys));
        }
    }
}

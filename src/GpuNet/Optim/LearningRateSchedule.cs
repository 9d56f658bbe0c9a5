namespace GpuNet.Optim;

/// <summary>
/// Learning-rate schedule applied at the end of each epoch: constant, step decay (× gamma every N epochs), or
/// divide by 10 when validation accuracy has not improved for <c>patience</c> epochs (AlexNet's rule).
/// </summary>
public sealed class LearningRateSchedule
{
    public string Kind { get; init; } = "constant";
    public int StepEpochs { get; init; } = 1;
    public float Gamma { get; init; } = 0.1f;
    public int Patience { get; init; } = 2;

    /// <summary>Best validation accuracy seen and epochs since it improved (saved in checkpoints).</summary>
    public double Best { get; set; } = double.NegativeInfinity;
    public int Stale { get; set; }

    /// <summary>Parses <c>constant</c>, <c>step:N:GAMMA</c> or <c>plateau[:PATIENCE]</c>.</summary>
    public static LearningRateSchedule Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':');
        try
        {
            return parts[0] switch
            {
                "constant" or "none" => new LearningRateSchedule(),
                "step" => new LearningRateSchedule
                {
                    Kind = "step",
                    StepEpochs = parts.Length > 1 ? int.Parse(parts[1]) : 1,
                    Gamma = parts.Length > 2 ? float.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)
                        : 0.1f,
                },
                "plateau" =>
                new LearningRateSchedule { Kind = "plateau", Patience = parts.Length > 1 ? int.Parse(parts[1]) : 2 },
                _ => throw new FormatException(),
            } is var s && s.StepEpochs >= 1 && s.Gamma is > 0f and <= 1f && s.Patience >= 1 ? s
                : throw new ArgumentException(
                    $"learning-rate schedule '{text}': step:EPOCHS:GAMMA needs EPOCHS ≥ 1 and " +
                                              "0 < GAMMA ≤ 1, plateau:PATIENCE needs PATIENCE ≥ 1");
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new ArgumentException(
                $"unknown learning-rate schedule '{text}'; expected constant, step:EPOCHS:GAMMA (e.g. step:2:0.5) or " +
                "plateau[:PATIENCE]");
        }
    }

    /// <summary>The learning rate for the next epoch, given the one just used.</summary>
    public float Next(float lr, int completedEpoch, double validationAccuracy)
    {
        switch (Kind)
        {
            case "step":
                return completedEpoch % StepEpochs == 0 ? lr * Gamma : lr;
            case "plateau":
                if (validationAccuracy > Best) { Best = validationAccuracy; Stale = 0; return lr; }
                if (++Stale >= Patience) { Stale = 0; return lr / 10f; }
                return lr;
            default:
                return lr;
        }
    }

    public override string ToString() => Kind switch
    {
        "step" => $"step:{StepEpochs}:{Gamma.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        "plateau" => $"plateau:{Patience}",
        _ => "constant",
    };
}

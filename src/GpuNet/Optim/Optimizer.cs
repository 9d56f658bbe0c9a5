using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Optim;

/// <summary>
/// Updates trainable parameters from their gradients through the accelerator's update ops. Weight decay (L2) and L1
/// apply to weights only. Per-parameter state (velocity, moments) is created lazily and saved in checkpoints.
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Dictionary<string, Tensor> _state = [];

    public float LearningRate { get; set; }
    public float WeightDecay { get; init; }
    public float L1 { get; init; }
    /// <summary>Number of completed steps (Adam's t).</summary>
    public int StepCount { get; set; }
    public abstract string Name { get; }

    public static readonly string[] Names = ["sgd", "momentum", "adagrad", "rmsprop", "adam"];

    public static Optimizer Create(string name, float learningRate, float weightDecay = 0f, float l1 = 0f,
        float momentum = UpdateRules.DefaultMomentum) =>
        name.Trim().ToLowerInvariant() switch
        {
            "sgd" => new Sgd { LearningRate = learningRate, WeightDecay = weightDecay, L1 = l1 },
            "momentum" =>
            new Momentum { LearningRate = learningRate, WeightDecay = weightDecay, L1 = l1, Mu = momentum },
            "adagrad" => new AdaGrad { LearningRate = learningRate, WeightDecay = weightDecay, L1 = l1 },
            "rmsprop" => new RmsProp { LearningRate = learningRate, WeightDecay = weightDecay, L1 = l1 },
            "adam" => new Adam { LearningRate = learningRate, WeightDecay = weightDecay, L1 = l1 },
            _ => throw new ArgumentException($"unknown optimizer '{name}'; known: {string.Join(", ", Names)}"),
        };

    /// <summary>Applies one update to every trainable parameter.</summary>
    public void Step(IEnumerable<Parameter> parameters)
    {
        StepCount++;
        foreach (var p in parameters)
            if (p.Trainable) Update(p, p.Data.Accelerator, p.Decays ? WeightDecay : 0f, p.Decays ? L1 : 0f);
    }

    protected abstract void Update(Parameter p, Accelerator acc, float weightDecay, float l1);

    /// <summary>The state tensor <paramref name="slot"/> of a parameter, zero-initialised on first use.</summary>
    protected Tensor State(Parameter p, string slot)
    {
        string key = $"{p.Name}.{slot}";
        if (!_state.TryGetValue(key, out var t)) _state[key] = t = p.Data.Accelerator.Zeros(p.Data.Shape);
        return t;
    }

    /// <summary>Slots this optimizer keeps per parameter.</summary>
    public abstract string[] Slots { get; }

    /// <summary>All state tensors, keyed "param.slot", creating any not yet used (for checkpoints).</summary>
    public IEnumerable<(string Key, Tensor Tensor)> StateTensors(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters.Where(p => p.Trainable))
            foreach (var slot in Slots)
                yield return ($"{p.Name}.{slot}", State(p, slot));
    }

    public void Dispose()
    {
        foreach (var t in _state.Values) t.Dispose();
        _state.Clear();
    }
}

public sealed class Sgd : Optimizer
{
    public override string Name => "sgd";
    public override string[] Slots => [];
    protected override void Update(Parameter p, Accelerator acc, float wd, float l1) =>
        acc.SgdUpdate(p.Data, p.Grad!, LearningRate, wd, l1);
}

public sealed class Momentum : Optimizer
{
    public float Mu { get; init; } = UpdateRules.DefaultMomentum;
    public override string Name => "momentum";
    public override string[] Slots => ["velocity"];
    protected override void Update(Parameter p, Accelerator acc, float wd, float l1) =>
        acc.MomentumUpdate(p.Data, p.Grad!, State(p, "velocity"), LearningRate, Mu, wd, l1);
}

public sealed class AdaGrad : Optimizer
{
    public float Epsilon { get; init; } = UpdateRules.DefaultEpsilon;
    public override string Name => "adagrad";
    public override string[] Slots => ["sum_sq"];
    protected override void Update(Parameter p, Accelerator acc, float wd, float l1) =>
        acc.AdaGradUpdate(p.Data, p.Grad!, State(p, "sum_sq"), LearningRate, Epsilon, wd, l1);
}

public sealed class RmsProp : Optimizer
{
    public float Rho { get; init; } = UpdateRules.DefaultRho;
    public float Epsilon { get; init; } = UpdateRules.DefaultEpsilon;
    public override string Name => "rmsprop";
    public override string[] Slots => ["mean_sq"];
    protected override void Update(Parameter p, Accelerator acc, float wd, float l1) =>
        acc.RmsPropUpdate(p.Data, p.Grad!, State(p, "mean_sq"), LearningRate, Rho, Epsilon, wd, l1);
}

public sealed class Adam : Optimizer
{
    public float Beta1 { get; init; } = UpdateRules.DefaultBeta1;
    public float Beta2 { get; init; } = UpdateRules.DefaultBeta2;
    public float Epsilon { get; init; } = UpdateRules.DefaultEpsilon;
    public override string Name => "adam";
    public override string[] Slots => ["m", "v"];
    protected override void Update(Parameter p, Accelerator acc, float wd, float l1) =>
        acc.AdamUpdate(p.Data, p.Grad!, State(p, "m"), State(p, "v"), LearningRate, Beta1, Beta2, Epsilon, StepCount,
            wd, l1);
}

using GpuNet.Optim;
using GpuNet.Layers;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

public sealed record MlpOptions
{
    /// <summary>Hidden layer sizes, or all sizes input,…,output (recognised when the ends match the data).</summary>
    public int[] Layers { get; init; } = [64];
    public ActivationKind Activation { get; init; } = ActivationKind.Relu;
    public OutputKind Output { get; init; } = OutputKind.Softmax;
    public Objective Objective { get; init; } = Objective.CrossEntropy;
    public bool BatchNorm { get; init; }
    public string Optimizer { get; init; } = "adam";
    public double LearningRate { get; init; } = 1e-3;
    public double Momentum { get; init; } = UpdateRules.DefaultMomentum;
    public double WeightDecay { get; init; }
    public int Batch { get; init; } = 32;
    public int Epochs { get; init; } = 50;
    public ulong Seed { get; init; } = 1;
    /// <summary>
    /// Train / validation / test fractions (normalised to sum 1); for MNIST folders the test split is DIR/test.
    /// </summary>
    public double[] Ratios { get; init; } = [0.7, 0.15, 0.15];
    /// <summary>Epochs of layer-wise autoencoder pretraining per hidden layer (0 = none).</summary>
    public int PretrainEpochs { get; init; }
}

public sealed record MlpEpoch(int Epoch, double TrainCost, double ValidationCost, double ValidationAccuracy,
    double Seconds);

public sealed record MlpResult(Mlp Model, int[] Sizes, int BestEpoch, double BestValidationAccuracy,
    double TestAccuracy, int TestCount, List<MlpEpoch> History);

/// <summary>A labelled split: features (samples × features) and labels.</summary>
public sealed record LabelledSet(Matrix<double>? X, int[] Y)
{
    /// <summary>Features; null when the split is empty (MathNet matrices cannot have zero rows).</summary>
    public Matrix<double> Features => X ?? throw new InvalidOperationException("empty split");
}

/// <summary>
/// Trains an <see cref="Mlp"/>: inputs normalised with training mean/std (std floored at a tenth of the average),
/// seeded mini-batches, the chosen optimizer
/// (sgd, momentum, adagrad, rmsprop, adam) with L2 decay on weights, the model best on validation kept and tested.
/// </summary>
public static class MlpTrainer
{
    public static (LabelledSet Train, LabelledSet Val, LabelledSet Test)
        Split(Matrix<double> x, int[] y, double[] ratios, ulong seed)
    {
        if (ratios.Length != 3 || ratios.Any(r => r < 0) || ratios[0] <= 0)
            throw new ArgumentException(
                "ratios must be three non-negative fractions train,validation,test with train > 0, got " +
                $"{string.Join(",", ratios)}");
        double total = ratios.Sum();
        var idx = Enumerable.Range(0, x.RowCount).ToArray();
        new Rng(seed ^ 0x5EEDUL).Shuffle(idx);
        int nVal = (int)Math.Round(idx.Length * ratios[1] / total),
            nTest = (int)Math.Round(idx.Length * ratios[2] / total);
        LabelledSet Take(IEnumerable<int> rows)
        {
            var r = rows.ToArray();
            return new(r.Length == 0 ? null : Matrix<double>.Build.DenseOfRowVectors(r.Select(x.Row)),
                r.Select(i => y[i]).ToArray());
        }
        return (Take(idx.Skip(nVal + nTest)), Take(idx.Take(nVal)), Take(idx.Skip(nVal).Take(nTest)));
    }

    public static int[] ResolveSizes(int[] layers, int inputs, int outputs) =>
        layers.Length >= 2 && layers[0] == inputs && layers[^1] == outputs ? layers : [inputs, .. layers, outputs];

    public static MlpResult Train(LabelledSet train, LabelledSet val, LabelledSet test, int classes, MlpOptions o,
        Action<MlpEpoch>? onEpoch = null, Action<string>? log = null)
    {
        if (train.Y.Length == 0) throw new ArgumentException("no training samples");
        int outputs = o.Output == OutputKind.Sigmoid && classes == 2 ? 1 : classes;
        var sizes = ResolveSizes(o.Layers, train.Features.ColumnCount, outputs);
        // normalise with training statistics; constant features get std 1
        var mean = train.Features.ColumnSums() / train.Features.RowCount;
        var std = train.Features.MapIndexed((_, j, v) => (v - mean[j]) * (v - mean[j])).ColumnSums()
            .Map(s => Math.Sqrt(s / train.Features.RowCount));
        // a floor on the std: features almost constant in training (MNIST's border pixels) must not blow a rare
        // non-zero value in another split up into the hundreds; exactly constant features get std 1
        double floor = 0.1 * std.Average();
        std = std.Map(s => s < 1e-12 ? 1 : Math.Max(s, floor));
        // (features, samples)
        Matrix<double> Norm(Matrix<double> x) => x.MapIndexed((_, j, v) => (v - mean[j]) / std[j]).Transpose();
        var (xt, xv, xs) = (Norm(train.Features), val.Y.Length > 0 ? Norm(val.Features) : null,
            test.Y.Length > 0 ? Norm(test.Features) : null);
        var rng = new Rng(o.Seed);
        var model = new Mlp(sizes, o.Activation, o.Output, o.Objective, o.BatchNorm, rng);
        if (o.PretrainEpochs > 0) Pretrain(model, xt, o, rng, log);

        var opt = new MlpOptimizer(o);
        var history = new List<MlpEpoch>();
        Mlp best = model.Clone();
        double bestAcc = double.NegativeInfinity, bestTie = double.NegativeInfinity; int bestEpoch = 0;
        var order = Enumerable.Range(0, train.Y.Length).ToArray();
        for (int epoch = 1; epoch <= o.Epochs; epoch++)
        {
            for (int i = 0; i < order.Length; i++) order[i] = i;
            rng.Shuffle(order);
            double cost = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int s = 0; s < order.Length; s += o.Batch)
            {
                var rows = order.AsSpan(s, Math.Min(o.Batch, order.Length - s)).ToArray();
                var xb = Matrix<double>.Build.DenseOfColumnVectors(rows.Select(xt.Column));
                var tb = Targets(rows.Select(r => train.Y[r]).ToArray(), outputs);
                var (loss, g) = model.LossAndGradients(xb, tb);
                if (!double.IsFinite(loss)) throw new InvalidOperationException(
                    $"MLP training diverged at epoch {epoch} (cost {loss}); lower --lr (now {o.LearningRate})");
                cost += loss * rows.Length;
                opt.Step(model, g);
            }
            double valCost = double.NaN, valAcc = double.NaN;
            if (xv is not null)
            {
                var av = model.Forward(xv, training: false);
                valCost = model.Loss(av, Targets(val.Y, outputs));
                valAcc = Accuracy(av, val.Y);
            }
            var e = new MlpEpoch(epoch, cost / order.Length, valCost, valAcc, clock.Elapsed.TotalSeconds);
            history.Add(e);
            onEpoch?.Invoke(e);
            // best on validation accuracy; ties (common on small validation sets) go to the lower validation cost
            double score = xv is null ? -e.TrainCost : valAcc, tie = xv is null ? 0 : -valCost;
            if (score > bestAcc || (score == bestAcc && tie > bestTie))
            {
                bestAcc = score; bestTie = tie;
                bestEpoch = epoch; best = model.Clone();
            }
        }
        double testAcc = xs is null ? double.NaN : Accuracy(best.Forward(xs, training: false), test.Y);
        return new MlpResult(best, sizes, bestEpoch, xv is null ? double.NaN : bestAcc, testAcc, test.Y.Length,
            history);
    }

    /// <summary>One-hot targets (k, m); a single sigmoid output takes the label itself (binary).</summary>
    public static Matrix<double> Targets(int[] labels, int outputs) =>
        outputs == 1 ? Matrix<double>.Build.Dense(1, labels.Length, (_, j) => labels[j])
                     : Matrix<double>.Build.Dense(outputs, labels.Length, (i, j) => labels[j] == i ? 1 : 0);

    public static double Accuracy(Matrix<double> outputs, int[] labels)
    {
        int correct = 0;
        for (int j = 0; j < labels.Length; j++)
        {
            int pred = outputs.RowCount == 1 ? (outputs[0, j] >= 0.5 ? 1 : 0) : outputs.Column(j).MaximumIndex();
            if (pred == labels[j]) correct++;
        }
        return labels.Length == 0 ? double.NaN : (double)correct / labels.Length;
    }

    /// <summary>
    /// Layer-wise pretraining as stacked autoencoders: each hidden layer learns to reconstruct its own input
    /// (encoder = the layer, linear decoder, MSE), then its activations feed the next layer's autoencoder.
    /// </summary>
    private static void Pretrain(Mlp model, Matrix<double> x, MlpOptions o, Rng rng, Action<string>? log)
    {
        var h = x;
        for (int l = 0; l < model.Layers - 1; l++)
        {
            int n = model.Sizes[l], hid = model.Sizes[l + 1];
            var ae = new Mlp([n, hid, n], o.Activation, OutputKind.Linear, Objective.Mse, false, rng);
            var opt = new MlpOptimizer(o with { WeightDecay = 0 });
            var order = Enumerable.Range(0, h.ColumnCount).ToArray();
            double cost = 0;
            for (int epoch = 1; epoch <= o.PretrainEpochs; epoch++)
            {
                rng.Shuffle(order);
                cost = 0;
                for (int s = 0; s < order.Length; s += o.Batch)
                {
                    var xb = Matrix<double>.Build.DenseOfColumnVectors(order.Skip(s).Take(o.Batch).Select(h.Column));
                    var (loss, g) = ae.LossAndGradients(xb, xb);
                    cost += loss * xb.ColumnCount;
                    opt.Step(ae, g);
                }
            }
            log?.Invoke(
                $"pretrained layer {l + 1} ({n} → {hid}) as an autoencoder: reconstruction cost " +
                $"{cost / order.Length:G4}");
            ae.W[0].CopyTo(model.W[l]);
            ae.B[0].CopyTo(model.B[l]);
            var z = model.W[l] * h;
            var b = model.B[l];
            h = z.MapIndexed((i, _, v) => Mlp.Activate(o.Activation, v + b[i]));
        }
    }
}

/// <summary>The update rules of <see cref="Optim.Optimizer"/>, on MathNet parameter arrays.</summary>
internal sealed class MlpOptimizer(MlpOptions o)
{
    private readonly Dictionary<(int, int), double[]> _state = [];
    private int _t;

    public void Step(Mlp model, Mlp.Gradients g)
    {
        _t++;
        var ps = model.Parameters().ToList();
        var gs = Mlp.GradientArrays(g, model.Layers, model.BatchNorm).ToList();
        for (int p = 0; p < ps.Count; p++)
        {
            var (_, w, decays) = ps[p];
            var grad = gs[p];
            double wd = decays ? o.WeightDecay : 0, lr = o.LearningRate;
            double[] S(int slot) => _state.TryGetValue((p, slot), out var a) ? a
                : _state[(p, slot)] = new double[w.Length];
            switch (o.Optimizer)
            {
                case "sgd":
                    for (int i = 0; i < w.Length; i++)
                        UpdateRules.Sgd(ref w[i], grad[i] + wd * w[i], lr); break;
                case "momentum":
                    {
                        var v = S(0); for (int i = 0; i < w.Length; i++) UpdateRules.Momentum(ref w[i], ref v[i],
                        grad[i] + wd * w[i], lr, o.Momentum);
                    }
                    break;
                case "adagrad":
                    {
                        var h = S(0); for (int i = 0; i < w.Length; i++) UpdateRules.AdaGrad(ref w[i], ref h[i],
                        grad[i] + wd * w[i], lr, UpdateRules.DefaultEpsilon);
                    }
                    break;
                case "rmsprop":
                    {
                        var s = S(0);
                        for (int i = 0; i < w.Length; i++)
                            UpdateRules.RmsProp(ref w[i], ref s[i], grad[i] + wd * w[i], lr, UpdateRules.DefaultRho,
                                UpdateRules.DefaultEpsilon);
                    }
                    break;
                case "adam":
                    {
                        var m = S(0); var v = S(1);
                        for (int i = 0; i < w.Length; i++)
                            UpdateRules.Adam(ref w[i], ref m[i], ref v[i], grad[i] + wd * w[i], lr,
                                UpdateRules.DefaultBeta1,
                                UpdateRules.DefaultBeta2, UpdateRules.DefaultEpsilon, _t);
                    }
                    break;
                default:
                    throw new ArgumentException(
                    $"unknown optimizer '{o.Optimizer}'; known: sgd, momentum, adagrad, rmsprop, adam");
            }
        }
    }
}

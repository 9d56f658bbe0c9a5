using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using GpuNet.Classic;
using GpuNet.Data;
using GpuNet.Layers;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.Providers.LinearAlgebra;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

/// <summary>The CPU path on MathNet.Numerics: mlp, em coins, cluster kmeans|gmm, pca.</summary>
internal static class ClassicCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static double[] Doubles(string text, string option) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException(
                $"{option}: '{s}' is not a number (expected a comma-separated list like " +
                $"{option switch { "--init" => "0.5,0.5,0.5", "--ratios" => "0.7,0.15,0.15", _ => "1,0,1" }})"))
                .ToArray();

    private static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    private static double[][] Rows(Matrix<double> m) =>
        Enumerable.Range(0, m.RowCount).Select(i => m.Row(i).ToArray()).ToArray();

    public static Command Mlp()
    {
        var data = new Option<string>("--data")
        {
            Description =
            "CSV file (header optional; string labels become classes) or mnist:DIR for the MNIST image folders",
            Required = true
        };
        var label = new Option<int>("--label-column")
        {
            Description = "0-based label column of the CSV (−1: the last)",
            DefaultValueFactory = _ => -1
        };
        var layers = new Option<string>("--layers")
        {
            Description = "Hidden layer sizes (e.g. 10,10), or all sizes input,…,output (e.g. 4,10,3)",
            DefaultValueFactory = _ => "64"
        };
        var activation = new Option<string>("--activation")
        {
            Description =
            "Hidden activation: sigmoid, tanh, relu, leaky-relu", DefaultValueFactory = _ => "relu"
        };
        var output = new Option<string>("--output")
        {
            Description = "Output layer: softmax, sigmoid, linear",
            DefaultValueFactory = _ => "softmax"
        };
        var objective = new Option<string>("--objective")
        {
            Description = "cross-entropy or mse",
            DefaultValueFactory = _ => "cross-entropy"
        };
        var bn = new Option<bool>("--batch-norm") { Description = "Batch normalisation before each hidden activation" };
        var optimizer = new Option<string>("--optimizer")
        {
            Description = "sgd, momentum, adagrad, rmsprop, adam",
            DefaultValueFactory = _ => "adam"
        };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 1e-3 };
        var wd = new Option<double>("--weight-decay")
        {
            Description = "L2 weight decay on weights",
            DefaultValueFactory = _ => 0
        };
        var batch = new Option<int>("--batch") { Description = "Mini-batch size", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 50 };
        var ratios = new Option<string>("--ratios")
        {
            Description =
            "train,validation,test fractions (MNIST: test is DIR/test)", DefaultValueFactory = _ => "0.7,0.15,0.15"
        };
        var pretrain = new Option<int>("--pretrain-epochs")
        {
            Description = "Layer-wise stacked-autoencoder pretraining epochs per hidden layer (0: none)",
            DefaultValueFactory = _ => 0
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed for the split, initialisation and shuffling",
            DefaultValueFactory = _ => 1
        };
        var cmd =
            new Command("mlp",
                "Train a multilayer perceptron on the CPU with MathNet.Numerics (CSV or MNIST folders); prints cost " +
                "and validation accuracy per epoch, then test accuracy")
        { data, label, layers, activation, output, objective, bn, optimizer, lr, wd, batch, epochs, ratios, pretrain,
            seed };
        cmd.SetGuardedAction(r =>
        {
            var o = new MlpOptions
            {
                Layers = Doubles(r.GetValue(layers)!, "--layers").Select(v => (int)v).ToArray(),
                Activation = r.GetValue(activation)!.ToLowerInvariant() switch
                {
                    "sigmoid" => ActivationKind.Sigmoid,
                    "tanh" => ActivationKind.Tanh,
                    "relu" => ActivationKind.Relu,
                    "leaky-relu" or "leakyrelu" => ActivationKind.LeakyRelu,
                    var s => throw new ArgumentException(
                        $"unknown --activation '{s}'; known: sigmoid, tanh, relu, leaky-relu"),
                },
                Output = r.GetValue(output)!.ToLowerInvariant() switch
                {
                    "softmax" => OutputKind.Softmax,
                    "sigmoid" => OutputKind.Sigmoid,
                    "linear" => OutputKind.Linear,
                    var s => throw new ArgumentException($"unknown --output '{s}'; known: softmax, sigmoid, linear"),
                },
                Objective = r.GetValue(objective)!.ToLowerInvariant() switch
                {
                    "cross-entropy" or "ce" => Objective.CrossEntropy,
                    "mse" => Objective.Mse,
                    var s => throw new ArgumentException($"unknown --objective '{s}'; known: cross-entropy, mse"),
                },
                BatchNorm = r.GetValue(bn), Optimizer = r.GetValue(optimizer)!.ToLowerInvariant(),
                LearningRate = r.GetValue(lr),
                WeightDecay = r.GetValue(wd), Batch = r.GetValue(batch), Epochs = r.GetValue(epochs),
                Ratios = Doubles(r.GetValue(ratios)!, "--ratios"),
                PretrainEpochs = r.GetValue(pretrain), Seed = r.GetValue(seed),
            };
            if (o.Optimizer is not ("sgd" or "momentum" or "adagrad" or "rmsprop" or "adam"))
                throw new ArgumentException(
                    $"unknown --optimizer '{o.Optimizer}'; known: sgd, momentum, adagrad, rmsprop, adam");
            string source = r.GetValue(data)!;
            LabelledSet train, val, test; string[] classes;
            if (source.StartsWith("mnist:"))
            {
                string dir = source[6..];
                (train, val, test, classes) = MnistSets(dir, o);
            }
            else
            {
                var csv = CsvData.Load(source, r.GetValue(label));
                classes = csv.Classes;
                (train, val, test) = MlpTrainer.Split(csv.X, csv.Labels!, o.Ratios, o.Seed);
            }
            AnsiConsole.MarkupLine(
                $"[grey]{train.Y.Length} training, {val.Y.Length} validation, {test.Y.Length} test samples; " +
                $"{train.Features.ColumnCount} features, {classes.Length} classes; MathNet provider: " +
                $"{Markup.Escape(LinearAlgebraControl.Provider.ToString() ?? "?")}[/]");
            var result = MlpTrainer.Train(train, val, test, classes.Length, o,
                e => Console.WriteLine(
                    $"epoch {e.Epoch,3}: cost {e.TrainCost:F5}  validation cost {e.ValidationCost:F5}  validation " +
                    $"accuracy {e.ValidationAccuracy * 100:F2}%  ({e.Seconds:F1} s)"),
                msg => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(msg)}[/]"));
            Console.WriteLine(
                $"layers {string.Join("-", result.Sizes)}; best validation accuracy " +
                $"{result.BestValidationAccuracy * 100:F2}% (epoch {result.BestEpoch})");
            Console.WriteLine($"test accuracy: {result.TestAccuracy * 100:F2}% ({result.TestCount} samples)");
            return 0;
        });
        return cmd;
    }

    private static (LabelledSet, LabelledSet, LabelledSet, string[]) MnistSets(string dir, MlpOptions o)
    {
        var skipped = new List<string>();
        var trainSet = ImageFolder.Load(Path.Combine(dir, "train"), null, false, skipped);
        var testSet = ImageFolder.Load(Path.Combine(dir, "test"), trainSet.Classes, false, skipped);
        Matrix<double> X(ImageSet s) =>
            Matrix<double>.Build.Dense(s.Count, s.ImageSize, (i, j) => s.Pixels[(long)i * s.ImageSize + j] / 255.0);
        var (tr, va, _) = MlpTrainer.Split(X(trainSet), trainSet.Labels, [o.Ratios[0], o.Ratios[1], 0], o.Seed);
        return (tr, va, new LabelledSet(X(testSet), testSet.Labels), trainSet.Classes);
    }

    public static Command Em()
    {
        var obs = new Option<string>("--observations")
        {
            Description = "The observed tosses, 0 or 1, comma-separated (e.g. 1,1,0,1,0,0,1,0,1,1)",
            Required = true
        };
        var init = new Option<string>("--init")
        {
            Description = "Initial π,p,q (each strictly between 0 and 1)",
            DefaultValueFactory = _ => "0.5,0.5,0.5"
        };
        var iters =
            new Option<int>("--iterations") { Description = "Most EM iterations", DefaultValueFactory = _ => 100 };
        var tol = new Option<double>("--tolerance")
        {
            Description = "Stop when no parameter moves more than this",
            DefaultValueFactory = _ => 1e-10
        };
        var json = new Option<bool>("--json") { Description = "Print the final parameters as JSON" };
        var coins =
            new Command("coins",
                "EM for the three-coin model: coin A (π) picks coin B (p) or C (q), whose toss is observed") { obs,
                init, iters, tol, json };
        coins.SetGuardedAction(r =>
        {
            var y = Doubles(r.GetValue(obs)!, "--observations")
                .Select(v => v is 0 or 1 ? (int)v : throw new ArgumentException($"--observations: {v} is not 0 or 1"))
                    .ToArray();
            var p0 = Doubles(r.GetValue(init)!, "--init");
            if (p0.Length != 3) throw new ArgumentException($"--init takes three values π,p,q, got {p0.Length}");
            var h = ThreeCoins.Fit(y, p0[0], p0[1], p0[2], r.GetValue(iters), r.GetValue(tol));
            var last = h[^1];
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(
                new
                {
                    pi = last.Pi, p = last.P, q = last.Q, logLikelihood = last.LogLikelihood,
                    iterations = last.Iteration
                }, Indented)); return 0;
            }
            var t = new Table().Border(TableBorder.Simple);
            foreach (var c in new[] { "iteration", "π", "p", "q", "log-likelihood" })
                t.AddColumn(new TableColumn(c).RightAligned());
            foreach (var it in h) t.AddRow(it.Iteration.ToString(), F(it.Pi), F(it.P), F(it.Q), F(it.LogLikelihood));
            AnsiConsole.Write(t);
            Console.WriteLine(
                $"result: π = {F(last.Pi)}, p = {F(last.P)}, q = {F(last.Q)}, log-likelihood {F(last.LogLikelihood)}");
            return 0;
        });
        return new Command("em", "Expectation–maximisation examples (also: gpunet cluster gmm)") { coins };
    }

    private static string F(double v) => v.ToString("F6", CultureInfo.InvariantCulture);

    public static Command Cluster()
    {
        Option<string> Data() =>
            new("--data") { Description = "CSV file of numeric columns (header optional)", Required = true };
        Option<int?> Label() => new("--label-column")
        {
            Description = "A label column to leave out of the features (0-based, −1: last); also reports cluster purity"
        };
        Option<int> K() => new("--k") { Description = "Number of clusters", Required = true };
        Option<ulong> Seed() => new("--seed") { Description = "Seed for initialisation", DefaultValueFactory = _ => 1 };
        Option<bool> Json() => new("--json") { Description = "Print the final parameters as JSON" };

        var (data1, label1, k1, seed1, json1) = (Data(), Label(), K(), Seed(), Json());
        var restarts = new Option<int>("--restarts")
        {
            Description = "k-means++ restarts; the lowest within-cluster sum of squares wins",
            DefaultValueFactory = _ => 10
        };
        var kmeans =
            new Command("kmeans",
                "k-means with k-means++ initialisation and restarts; prints WCSS per iteration") { data1, label1, k1,
                restarts, seed1, json1 };
        kmeans.SetGuardedAction(r =>
        {
            var csv = CsvData.Load(r.GetValue(data1)!, r.GetValue(label1));
            bool json = r.GetValue(json1);
            var res = KMeans.Fit(csv.X, r.GetValue(k1), r.GetValue(restarts), r.GetValue(seed1),
                onIteration: json ? null : (run, it, w) =>
                    Console.WriteLine($"restart {run + 1} iteration {it}: within-cluster sum of squares {w:F6}"));
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(
                new
                {
                    wcss = res.Wcss, centroids = Rows(res.Centroids), assignments = res.Assignments,
                    bestRestart = res.BestRestart + 1
                }, Indented)); return 0;
            }
            Console.WriteLine(
                $"best of {r.GetValue(restarts)} restarts: restart {res.BestRestart + 1}, within-cluster sum of " +
                $"squares {res.Wcss:F6}");
            PrintCentroids(res.Centroids, csv.FeatureNames, res.Assignments);
            if (csv.Labels is not null)
                Console.WriteLine(
                    $"purity against column {r.GetValue(label1)}: " +
                    $"{Purity(res.Assignments, csv.Labels, res.Centroids.RowCount) * 100:F2}%");
            return 0;
        });

        var (data2, label2, k2, seed2, json2) = (Data(), Label(), K(), Seed(), Json());
        var cov = new Option<string>("--covariance")
        {
            Description = "full, diag or spherical",
            DefaultValueFactory = _ => "full"
        };
        var tol = new Option<double>("--tolerance")
        {
            Description = "Converged when the log-likelihood changes by less than this (relative)",
            DefaultValueFactory = _ => 1e-6
        };
        var reg = new Option<double>("--reg")
        {
            Description = "Added to every covariance diagonal",
            DefaultValueFactory = _ => 1e-6
        };
        var iters =
            new Option<int>("--iterations") { Description = "Most EM iterations", DefaultValueFactory = _ => 200 };
        var gmm =
            new Command("gmm",
                "Gaussian mixture by EM; prints the log-likelihood per iteration, then weights, means and " +
                "covariances") { data2, label2, k2, cov, tol, reg, iters, seed2, json2 };
        gmm.SetGuardedAction(r =>
        {
            var csv = CsvData.Load(r.GetValue(data2)!, r.GetValue(label2));
            bool json = r.GetValue(json2);
            var model = new Gmm
            {
                K = r.GetValue(k2), Tolerance = r.GetValue(tol), Regularization = r.GetValue(reg),
                MaxIterations = r.GetValue(iters), Seed = r.GetValue(seed2),
                Covariance = r.GetValue(cov)!.ToLowerInvariant() switch
                {
                    "full" => CovarianceKind.Full,
                    "diag" => CovarianceKind.Diag,
                    "spherical" => CovarianceKind.Spherical,
                    var s => throw new ArgumentException($"unknown --covariance '{s}'; known: full, diag, spherical"),
                },
            };
            GmmResult res;
            try
            {
                res = model.Fit(csv.X, onIteration: json ? null : it =>
                Console.WriteLine($"iteration {it.Iteration}: log-likelihood {it.LogLikelihood:F6}"));
            }
            catch (GmmCollapseException e) { Common.Error(e.Message); return 1; }
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    logLikelihood = res.History[^1].LogLikelihood, converged = res.Converged,
                    iterations = res.History.Count,
                    weights = res.Weights, means = Rows(res.Means),
                    covariances = res.Covariances.Select(Rows).ToArray(), assignments = res.Assignments,
                    responsibilities = Rows(res.Responsibilities),
                }, Indented));
                return 0;
            }
            Console.WriteLine(res.Converged ? $"converged after {res.History.Count} iterations"
                : $"not converged after {res.History.Count} iterations (raise --iterations)");
            for (int j = 0; j < res.Weights.Length; j++)
            {
                Console.WriteLine(
                    $"component {j + 1}: weight {res.Weights[j]:F4}, mean " +
                    $"[{string.Join(", ", res.Means.Row(j).Select(F4))}]");
                Console.WriteLine(
                    "  covariance diagonal " +
                    $"[{string.Join(", ", res.Covariances[j].Diagonal().Select(F4))}]");
            }
            if (csv.Labels is not null)
                Console.WriteLine(
                    $"purity against column {r.GetValue(label2)}: " +
                    $"{Purity(res.Assignments, csv.Labels, res.Weights.Length) * 100:F2}%");
            return 0;
        });
        return new Command("cluster", "Clustering on the CPU with MathNet.Numerics") { kmeans, gmm };
    }

    private static void PrintCentroids(Matrix<double> c, string[] names, int[] assign)
    {
        var t = new Table().Border(TableBorder.Simple);
        t.AddColumn("cluster"); t.AddColumn(new TableColumn("size").RightAligned());
        foreach (var n in names) t.AddColumn(new TableColumn(Markup.Escape(n)).RightAligned());
        for (int j = 0; j < c.RowCount; j++)
            t.AddRow([(j + 1).ToString(), assign.Count(a => a == j).ToString(),
                .. c.Row(j).Select(v => v.ToString("F4", CultureInfo.InvariantCulture))]);
        AnsiConsole.Write(t);
    }

    /// <summary>Fraction of samples whose cluster's majority label is their own.</summary>
    private static double Purity(int[] assign, int[] labels, int k) =>
        Enumerable.Range(0, k).Sum(j => assign.Select((a, i) => (a, i)).Where(p => p.a == j).GroupBy(p => labels[p.i])
            .Select(g => g.Count()).DefaultIfEmpty(0).Max()) / (double)labels.Length;

    public static Command Pca()
    {
        var data = new Option<string>("--data")
        {
            Description = "CSV file of numeric columns (header optional)",
            Required = true
        };
        var label =
            new Option<int?>("--label-column") { Description = "A label column to leave out (0-based, −1: last)" };
        var comps = new Option<int>("--components")
        {
            Description = "Number of principal components",
            DefaultValueFactory = _ => 2
        };
        var json = new Option<bool>("--json") { Description = "Print components and explained variance as JSON" };
        var cmd =
            new Command("pca",
                "Principal components of a CSV's columns (eigen-decomposition of the covariance) with explained " +
                "variance") { data, label, comps, json };
        cmd.SetGuardedAction(r =>
        {
            var csv = CsvData.Load(r.GetValue(data)!, r.GetValue(label));
            var p = Classic.Pca.Fit(csv.X, r.GetValue(comps));
            if (r.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    variances = p.Variances.ToArray(),
                    explainedRatio = p.ExplainedRatio.ToArray(), components = Rows(p.Components.Transpose()),
                    mean = p.Mean.ToArray()
                }, Indented));
                return 0;
            }
            var t = new Table().Border(TableBorder.Simple);
            t.AddColumn("component"); t.AddColumn(new TableColumn("variance").RightAligned());
            t.AddColumn(new TableColumn("explained").RightAligned());
            t.AddColumn(new TableColumn("cumulative").RightAligned());
            foreach (var n in csv.FeatureNames) t.AddColumn(new TableColumn(Markup.Escape(n)).RightAligned());
            double cum = 0;
            for (int j = 0; j < p.Variances.Count; j++)
            {
                cum += p.ExplainedRatio[j];
                t.AddRow([$"PC{j + 1}", p.Variances[j].ToString("F4", CultureInfo.InvariantCulture),
                    $"{p.ExplainedRatio[j] * 100:F2}%", $"{cum * 100:F2}%",
                    .. p.Components.Column(j).Select(v => v.ToString("F4", CultureInfo.InvariantCulture))]);
            }
            AnsiConsole.Write(t);
            return 0;
        });
        return cmd;
    }
}

using System.CommandLine;
using GpuNet.Distributed;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class TrainCommand
{
    public static Command Create()
    {
        var d = new TrainOptions();
        var a = TrainOptions.ForModel("alexnet");
        string ByModel<T>(T lenet, T alexnet) =>
            $"default: the network file's training section, else {lenet}; lenet5 {lenet}, alexnet {alexnet}";
        var model = new Option<string>("--model", "-m")
        {
            Description = $"A shipped network: {string.Join(", ", ModelZoo.Names)}",
            DefaultValueFactory = _ => d.Model
        };
        var network = new Option<string?>("--network", "-n")
        {
            Description = "A network file of one's own (YAML, see docs/network-files.md) instead of --model; the " +
                "checkpoints keep its description, so the file is not needed afterwards",
        };
        var data = new Option<string?>("--data")
        {
            Description = "Image folder: DIR/train/<class>/* (optional DIR/val, DIR/test), " +
                "or DIR/<class>/* split by --split; JPEG, PNG, WebP, BMP or GIF, any size",
        };
        var epochs = new Option<int?>("--epochs",
            "-e")
        { Description = $"Total epochs ({ByModel(d.Epochs, a.Epochs)}); with --resume, the new total" };
        var batch = Common.Batch(d.Batch);
        batch.Description += "; under mpirun the global batch, each rank taking its part";
        var optimizer = new Option<string>("--optimizer")
        {
            Description =
            $"Optimizer: {string.Join(", ", Optimizer.Names)}", DefaultValueFactory = _ => d.Optimizer
        };
        var lr = new Option<float?>("--lr")
        {
            Description = $"Initial learning rate ({ByModel(d.LearningRate, a.LearningRate)})"
        };
        var momentum = new Option<float>("--momentum")
        {
            Description = "Momentum coefficient (momentum optimizer)",
            DefaultValueFactory = _ => d.Momentum
        };
        var wd = new Option<float>("--weight-decay")
        {
            Description = "L2 weight decay on weights (not biases)",
            DefaultValueFactory = _ => 0f
        };
        var l1 = new Option<float>("--l1") { Description = "L1 penalty on weights", DefaultValueFactory = _ => 0f };
        var schedule = new Option<string>("--schedule")
        {
            Description =
            "Learning-rate schedule: constant, step:EPOCHS:GAMMA, plateau[:PATIENCE] (divide by 10 when validation " +
            $"stalls) ({ByModel(d.Schedule, a.Schedule)})"
        };
        var init = new Option<string?>("--init")
        {
            Description = "Initialisation: file (each layer's weight_init/bias_init from the network file, else " +
                "uniform), alexnet (each layer's, else N(0, 0.01) and bias 0), or uniform (±1/sqrt(fan_in)), xavier, " +
                $"he for every parameter ({ByModel(d.Init, a.Init)})"
        };
        var loss = new Option<string>("--loss")
        {
            Description = "Loss: cross-entropy, mse, mae, bce, hinge",
            DefaultValueFactory = _ => d.Loss
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed for initialisation, validation split, shuffling and dropout",
            DefaultValueFactory = _ => d.Seed
        };
        var val = new Option<double>("--validation")
        {
            Description = "Fraction of train/ held out for validation",
            DefaultValueFactory = _ => d.ValidationFraction
        };
        var limit = new Option<int>("--limit")
        {
            Description = "Train on at most this many images (0: all)",
            DefaultValueFactory = _ => 0
        };
        var strict = new Option<bool>("--strict")
        {
            Description = "Stop at the first unreadable image instead of skipping it with a warning"
        };
        var device = Common.Device();
        var devices = new Option<string?>("--devices")
        {
            Description = "Two devices A,B (e.g. cpu,cpu, cuda:0,cuda:1 or cuda:0,cuda:0): train AlexNet split into " +
                          "the 2012 network's two towers (under mpirun, in every rank: cuda,cuda gives local rank r " +
                          "cuda:2r and cuda:2r+1, cpu,cpu halves its cores)",
        };
        var convAlgorithm = new Option<string>("--conv-algorithm")
        {
            Description =
                "How cuda/opencl/ilgpu-cpu devices run convolutions: auto (a fixed rule per layer shape, so a seed " +
                          "gives the same run), direct, im2col, or measure (time both once per shape; recorded in " +
                          "the checkpoint)",
            DefaultValueFactory = _ => "auto",
        };
        var (defTrain, defEval) = ("model default: AlexNet resize:256,random-crop:227,flip,pca-color:0.1",
            "model default: AlexNet resize:256,center-crop:227");
        var trainTf = new Option<string?>("--train-transform")
        {
            Description =
            "Training transform steps: resize:S (shorter side), center-crop:S, random-crop:S, flip, pca-color:SIGMA " +
            $"({defTrain}; LeNet-5: images as they are, centred)"
        };
        var evalTf = new Option<string?>("--eval-transform")
        {
            Description = $"Evaluation transform steps, deterministic ({defEval})"
        };
        var tenCrop = new Option<bool>("--ten-crop")
        {
            Description =
            "Report test accuracy averaged over ten crops (corners, centre, mirrored), as in the AlexNet paper"
        };
        var workers = new Option<int>("--workers")
        {
            Description = "Threads decoding and augmenting images (0: one per core)",
            DefaultValueFactory = _ => 0
        };
        var prefetch = new Option<int>("--prefetch")
        {
            Description = "Batches prepared ahead of the training loop",
            DefaultValueFactory = _ => d.Prefetch
        };
        var cache = new Option<string>("--cache")
        {
            Description =
            "Keep decoded images in memory: auto (when they fit in --cache-mib), on, off (decode every epoch)",
            DefaultValueFactory = _ => d.Cache
        };
        var cacheMiB = new Option<int>("--cache-mib")
        {
            Description = "Memory for decoded images with --cache auto",
            DefaultValueFactory = _ => d.CacheMiB
        };
        var maxPixels = new Option<long>("--max-pixels")
        {
            Description = "Refuse images larger than this many pixels before decoding (decompression bombs)",
            DefaultValueFactory = _ => d.MaxPixels
        };
        var split = new Option<string>("--split")
        {
            Description = "TRAIN/VAL/TEST ratios for a folder without train/ (seeded)",
            DefaultValueFactory = _ => d.SplitRatios
        };
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Run folder for metrics.csv, the training curves (curves.png and curves.svg), best.ckpt, " +
                "last.ckpt (default runs/MODEL-TIMESTAMP)",
        };
        var overwrite = new Option<bool>("--overwrite")
        {
            Description =
                "Start even when the --out folder holds a run, replacing its checkpoints, metrics and curves " +
                          "(without it, such a folder is refused)",
        };
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue the run in this folder from its last completed epoch"
        };

        var cmd = new Command("train", "Train a model on an image folder, keep the best checkpoint on validation, " +
            "and report test accuracy. Under `mpirun -np N` the N processes train it data-parallel: each on its part " +
            "of " +
            "every batch, on its own device (--device cuda: the local rank's GPU; cpu: its share of the cores), " +
            "gradients summed over MPI; rank 0 writes the run folder")
        {
            model, network, data, epochs, batch, optimizer, lr, momentum, wd, l1, schedule, init, loss, seed, val,
                limit, strict,
                device, devices, convAlgorithm,
            trainTf, evalTf, tenCrop, workers, prefetch, cache, cacheMiB, maxPixels, split, output, overwrite, resume,
        };
        cmd.SetGuardedAction(r =>
        {
            // under mpirun: this process is one rank of a data-parallel job (rank 0 prints and writes the run)
            var ranks = DataParallel.Start();
            bool speaks = ranks.Rank == 0;
            TrainOptions o;
            GpuNet.Networks.NetworkDescription? description = null;
            string? resumeDir = r.GetValue(resume);
            if (resumeDir is not null)
            {
                if (r.GetValue(overwrite))
                    throw new ArgumentException("--overwrite starts a new run; --resume continues one: give only one");
                o = Trainer.ResumeOptions(resumeDir);
                bool Given(Option option) => r.GetResult(option) is { Implicit: false };
                // what defines the run stays as it was; what only says where and how fast it runs may change
                foreach (
                    var fixedOption in new Option[] { model, network, batch, optimizer, lr, momentum, wd, l1, schedule,
                        init,
                             loss, seed, val, limit, strict, split, trainTf, evalTf, tenCrop, maxPixels, convAlgorithm,
                             output })
                    if (Given(fixedOption))
                        throw new ArgumentException($"{fixedOption.Name} cannot change when resuming {resumeDir}: it " +
                            "defines the run (see its last.ckpt options); start a new run with --out to change it");
                var applied = new List<string>();
                if (r.GetValue(epochs) is int e) { o = o with { Epochs = e }; applied.Add($"--epochs {e}"); }
                if (Given(data))
                {
                    o = o with { Data = Path.GetFullPath(r.GetValue(data)!) };
                    applied.Add($"--data {o.Data}");
                }
                if (Given(device)) { o = o with { Device = r.GetValue(device)! }; applied.Add($"--device {o.Device}"); }
                if (Given(devices))
                {
                    o = o with { Devices = r.GetValue(devices) };
                    applied.Add($"--devices {o.Devices}");
                }
                if (Given(workers))
                {
                    o = o with { Workers = r.GetValue(workers) };
                    applied.Add($"--workers {o.Workers}");
                }
                if (Given(prefetch))
                {
                    o = o with { Prefetch = r.GetValue(prefetch) };
                    applied.Add($"--prefetch {o.Prefetch}");
                }
                if (Given(cache)) { o = o with { Cache = r.GetValue(cache)! }; applied.Add($"--cache {o.Cache}"); }
                if (Given(cacheMiB))
                {
                    o = o with { CacheMiB = r.GetValue(cacheMiB) };
                    applied.Add($"--cache-mib {o.CacheMiB}");
                }
                if (applied.Count > 0 && speaks)
                    AnsiConsole.MarkupLine(Markup.Escape($"resume: applying {string.Join(", ", applied)}"));
                if (!Directory.Exists(o.Data))
                    throw new GpuNet.Data.DataException(
                        $"{o.Data}: the data folder of {resumeDir} is not there; give --data DIR to " +
                                            "resume on the same images elsewhere");
            }
            else
            {
                string dataDir = r.GetValue(data) ?? throw new ArgumentException(
                    "--data is required (a folder with train/<class>/*.png), unless --resume is given");
                bool Given(Option option) => r.GetResult(option) is { Implicit: false };
                if (Given(model) && Given(network))
                    throw new ArgumentException("--model names a shipped network and --network a file: give only one");
                string? file = r.GetValue(network);
                description = file is null ? ModelZoo.Describe(r.GetValue(model)!)
                    : GpuNet.Networks.NetworkDescription.Load(file);
                string name = description.Name;
                // the network file's training defaults, where the command line says nothing
                var m = TrainOptions.ForNetwork(description);
                T Or<T>(Option<T> option, T fallback) => Given(option) ? r.GetValue(option)! : fallback;
                o = new TrainOptions
                {
                    Model = name, Network = file is null ? null : Path.GetFullPath(file),
                    Data = Path.GetFullPath(dataDir), Epochs = r.GetValue(epochs) ?? m.Epochs,
                    Batch = Or(batch, m.Batch),
                    Optimizer = Or(optimizer, m.Optimizer), LearningRate = r.GetValue(lr) ?? m.LearningRate,
                    Momentum = Or(momentum, m.Momentum),
                    WeightDecay = Or(wd, m.WeightDecay), L1 = Or(l1, m.L1),
                    Schedule = r.GetValue(schedule) ?? m.Schedule,
                    Init = r.GetValue(init) ?? m.Init,
                    Loss = Or(loss, m.Loss), Seed = r.GetValue(seed), ValidationFraction = r.GetValue(val),
                    Limit = r.GetValue(limit),
                    Strict = r.GetValue(strict), Device = r.GetValue(device)!, Devices = r.GetValue(devices),
                    ConvAlgorithm = r.GetValue(convAlgorithm)!,
                    TrainTransform = r.GetValue(trainTf), EvalTransform = r.GetValue(evalTf),
                    TenCrop = r.GetValue(tenCrop),
                    Workers = r.GetValue(workers), Prefetch = r.GetValue(prefetch), Cache = r.GetValue(cache)!,
                    CacheMiB = r.GetValue(cacheMiB),
                    MaxPixels = r.GetValue(maxPixels), SplitRatios = r.GetValue(split)!,
                    Out = r.GetValue(output) ?? Path.Combine("runs", $"{name}-{DateTime.Now:yyyyMMdd-HHmmss}"),
                    Overwrite = r.GetValue(overwrite),
                };
            }
            using var cts = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
            // SIGTERM (a scheduler, `kill`) stops the same way as Ctrl+C
            using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
            TrainResult? result = null;
            try
            {
                if (speaks)
                    AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                        .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(),
                            new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                        .Start(ctx => result = Trainer.Run(o, new SpectreObserver(ctx), resumeDir is not null,
                            cts.Token, ranks, description));
                else
                    result = Trainer.Run(o, NullObserver.Instance, resumeDir is not null, cts.Token, ranks,
                        description);
            }
            catch (OperationCanceledException e)
            {
                if (speaks) Common.Error(Stopped(o));
                // all ranks stopped after the same step: they leave the job together, without an abort
                if (e is RanksStoppedException) ranks.Dispose();
                return 130;
            }
            // every rank finished: leave the job together (never after a failure, which ends it with MPI_Abort)
            ranks.Dispose();
            if (!speaks) return 0;
            var res = result!;
            if (res.History.Count > 0)
                AnsiConsole.MarkupLine(
                    $"best validation accuracy {Common.Percent(res.BestValidationAccuracy)} (epoch {res.BestEpoch})");
            AnsiConsole.MarkupLine(
                $"peak accelerator memory {string.Join(" + ", res.PeakDeviceBytes.Select(Common.MiB))}, peak RSS " +
                $"{Common.MiB(res.PeakRssBytes)}");
            AnsiConsole.MarkupLine(
                $"run folder: {Markup.Escape(res.RunDirectory)} (metrics.csv, curves.png, best.ckpt)");
            if (res.SkippedImages > 0) AnsiConsole.MarkupLine(
                $"[yellow]{res.SkippedImages} images skipped[/], listed in " +
                $"{Markup.Escape(Path.Combine(res.RunDirectory, "skipped.txt"))}");
            if (res.Test is { } t)
                Console.WriteLine($"test accuracy: {t.Accuracy * 100:F2}%");
            else
                AnsiConsole.MarkupLine(
                    $"[yellow]no test images in {Markup.Escape(o.Data)} (no test/ folder, or --split with no test " +
                    "share); no test accuracy[/]");
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// What a stopped run leaves, truthfully: the epoch its last.ckpt holds, or that nothing was saved.
    /// </summary>
    private static string Stopped(TrainOptions o)
    {
        string last = Path.Combine(o.Out, Trainer.LastCheckpoint);
        try
        {
            if (File.Exists(last))
                return $"stopped; {last} holds epoch {RunState.Of(Checkpoint.Read(last)).Epoch} of {o.Epochs} " +
                       $"(continue with `gpunet train --resume {o.Out}`)";
        }
        catch (Exception e) when (e is CheckpointException or IOException) { }
        return $"stopped before any epoch completed; nothing was saved in {o.Out}";
    }
}


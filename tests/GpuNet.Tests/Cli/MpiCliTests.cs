using System.Diagnostics;
using System.Globalization;
using GpuNet.Distributed;
using GpuNet.Tests.Ops;
using GpuNet.Tests.Training;
using GpuNet.Training;

namespace GpuNet.Tests.Cli;

/// <summary>
/// `mpirun -np 2 gpunet train` on this machine (OpenMPI, shared memory between the ranks): the weights after an epoch
/// equal a single process's on the same global batches and seed; rank 0's checkpoint loads and resumes in a single
/// process; a rank that throws ends the whole job with its error, promptly. Tiny data: the class takes seconds.
/// </summary>
[RequiresAccelerator("mpirun")]
public sealed class MpiCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-mpi").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Why the mpirun tests cannot run here (null when mpirun is on the PATH).</summary>
    public static string? Unavailable =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "mpirun")))
            ? null
            : "mpirun is not installed (apt-get install openmpi-bin libopenmpi3)";

    private sealed record Job(int Code, string Out, string Err, TimeSpan Elapsed, TimeSpan? FirstErrorToExit);

    /// <summary>
    /// Runs `mpirun -np N` of the real gpunet program, killed after 60 s (a hang fails the test, it never blocks it);
    /// notes when the first `error:` line arrived.
    /// </summary>
    private static Job MpiRun(int ranks, IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var psi = new ProcessStartInfo("mpirun")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string gpunet = Path.Combine(AppContext.BaseDirectory, "gpunet.dll");
        foreach (var a in new[] { "-np", ranks.ToString(), "dotnet", gpunet }) psi.ArgumentList.Add(a);
        foreach (var a in args) psi.ArgumentList.Add(a);
        // root in containers and CI
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        psi.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        psi.Environment["NO_COLOR"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var output = new System.Text.StringBuilder();
        var errors = new System.Text.StringBuilder();
        TimeSpan? firstError = null;
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (errors)
            {
                if (firstError is null && e.Data.StartsWith("error:")) firstError = clock.Elapsed;
                errors.AppendLine(e.Data);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"mpirun {string.Join(' ', args)} still ran after 60 s: a hang\n{errors}");
        }
        p.WaitForExit();   // the output streams are drained
        var elapsed = clock.Elapsed;
        return new Job(p.ExitCode, output.ToString(), errors.ToString(), elapsed, elapsed - firstError);
    }

    private string[] TrainArgs(string data, string run, int epochs) =>
    [
        "train", "--data", data, "--out", run, "--epochs", epochs.ToString(), "--batch", "32", "--device", "cpu:1",
        "--workers", "1", "--seed", "7",
    ];

    [AcceleratorFact]
    public void Two_ranks_train_the_weights_of_one_process_and_their_checkpoint_resumes_in_one()
    {
        // 250 training images: 7 global batches of 32 (the last one 1 image short of 8 per rank... and uneven)
        string data = Mnist.Small(_dir, 25, 3);
        string parallel = Path.Combine(_dir, "parallel"), single = Path.Combine(_dir, "single");
        var job = MpiRun(2, null, TrainArgs(data, parallel, 1));
        Assert.True(job.Code == 0, job.Err + job.Out);
        Assert.Contains("2 ranks", job.Out);
        // ranks write to mpirun's pseudo-terminals: no terminal escapes may reach the job's log
        Assert.DoesNotContain('\u001b', job.Out + job.Err);
        var (code, output, err) = ChildProcess.Gpunet(null, TrainArgs(data, single, 1));
        Assert.True(code == 0, err);

        AssertSameWeights(single, parallel);
        // validation and test accuracy are counted over every rank's part: the same figures as one process
        Assert.Equal(File.ReadAllLines(Path.Combine(single, Trainer.MetricsFile)).Skip(1).Select(AccuracyColumns),
            File.ReadAllLines(Path.Combine(parallel, Trainer.MetricsFile)).Skip(1).Select(AccuracyColumns));
        Assert.Equal(TestAccuracy(output), TestAccuracy(job.Out));
        // rank 0 alone printed the result
        Assert.Single(job.Out.Split('\n'), l => l.StartsWith("test accuracy:"));

        // rank 0's checkpoint is an ordinary single-process one: a single process resumes it
        (code, output, err) = ChildProcess.Gpunet(null, "train", "--resume", parallel, "--epochs", "2");
        Assert.True(code == 0, err);
        Assert.Equal(2, RunState.EpochOf(Checkpoint.Read(Path.Combine(parallel, Trainer.LastCheckpoint))));
    }

    /// <summary>Every tensor of the two runs' last.ckpt (weights and optimizer state) within 1e-5 of its largest value.
    /// </summary>
    private static void AssertSameWeights(string expectedRun, string actualRun)
    {
        var a = Checkpoint.Read(Path.Combine(actualRun, Trainer.LastCheckpoint));
        var b = Checkpoint.Read(Path.Combine(expectedRun, Trainer.LastCheckpoint));
        Assert.Equal(b.Tensors.Keys.Order(), a.Tensors.Keys.Order());
        foreach (var (name, (_, expected)) in b.Tensors)
        {
            var actual = a.Tensors[name].Data;
            double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
            for (int i = 0; i < expected.Length; i++)
                worst = Math.Max(worst, Math.Abs(actual[i] - (double)expected[i]));
            Assert.True(worst <= 1e-5 * scale,
                $"{name}: largest difference {worst:G3}, {worst / scale:G3} of its largest value");
        }
    }

    [AcceleratorFact]
    public void Two_ranks_of_the_two_tower_alexnet_with_dropout_train_the_weights_of_one_process()
    {
        // hybrid: each rank splits alexnet-small over two CPU accelerators; dropout draws the single-process masks
        string data = Path.Combine(_dir, "shapes");
        var (code, _, err) = ChildProcess.Gpunet(null, "make-shapes", "--out", data, "--per-class", "8",
            "--test-per-class", "1", "--size", "72");
        Assert.True(code == 0, err);
        string[] Args(string run) => ["train", "--model", "alexnet-small", "--data", data, "--out", run,
            "--epochs", "1", "--batch", "16", "--workers", "1"];
        string parallel = Path.Combine(_dir, "parallel"), single = Path.Combine(_dir, "single");
        var job = MpiRun(2, null, [.. Args(parallel), "--devices", "cpu:1,cpu:1"]);
        Assert.True(job.Code == 0, job.Err + job.Out);
        // the same split in one process (the split sums conv3's inputs in two halves: not bit for bit the grouped
        // model)
        (code, _, err) = ChildProcess.Gpunet(null, [.. Args(single), "--devices", "cpu:1,cpu:1"]);
        Assert.True(code == 0, err);
        AssertSameWeights(single, parallel);
    }

    // validation loss and accuracy of each epoch (metrics.csv columns 4 and 5), to 6 digits
    private static string AccuracyColumns(string line) =>
        string.Join(",", line.Split(',')[3..5].Select(v =>
            double.Parse(v, CultureInfo.InvariantCulture).ToString("G6", CultureInfo.InvariantCulture)));

    private static string TestAccuracy(string output) =>
        output.Split('\n').Single(l => l.StartsWith("test accuracy:")).Trim();

    [AcceleratorFact]
    public void A_rank_that_fails_ends_the_job_with_its_rank_and_error_within_seconds()
    {
        string data = Mnist.Small(_dir, 25, 1);
        // rank 1 throws in its second step, while rank 0 waits for that step's gradients
        var job = MpiRun(2, new Dictionary<string, string> { [DataParallel.FailVariable] = "1:2" },
            TrainArgs(data, Path.Combine(_dir, "run"), 1));
        Assert.NotEqual(0, job.Code);
        Assert.Contains("error: rank 1: injected failure", job.Err);
        Assert.True(job.FirstErrorToExit < TimeSpan.FromSeconds(10),
            $"the job ended {job.FirstErrorToExit} after the error\n{job.Err}");
    }

    [Fact]
    public void Without_mpirun_a_process_trains_alone_and_openmpi_is_not_loaded()
    {
        Assert.False(DataParallel.UnderMpirun);
        using var r = DataParallel.Start();
        Assert.IsType<SingleProcessReducer>(r);
        Assert.Equal((0, 1), (r.Rank, r.Size));
        Assert.Equal(1, r.LossWeight(17));
        Assert.DoesNotContain(Process.GetCurrentProcess().Modules.Cast<ProcessModule>(),
            m => m.ModuleName.StartsWith("libmpi", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_openmpi_the_error_says_what_to_install()
    {
        var e = Assert.Throws<MpiException>(() => Mpi.Load("libmpi-not-installed.so.40"));
        Assert.Contains("apt-get install openmpi-bin libopenmpi3", e.Message);
    }

    /// <summary>A rank as mpirun describes it, without MPI.</summary>
    private sealed class FakeRank(int rank, int size, int localRank, int localSize) : IGradientReducer
    {
        public int Rank => rank;
        public int Size => size;
        public int LocalRank => localRank;
        public int LocalSize => localSize;
        public double LossWeight(int count) => count;
        public void BeginStep(GpuNet.Models.INetwork network, int count, bool stop) { }
        public void GradientsReady(IReadOnlyList<GpuNet.Layers.Parameter> parameters) { }
        public (int Count, bool Stop) FinishStep() => (0, false);
        public void Sum(Span<double> values) { }
        public ReductionTimes TakeTimes() => default;
        public void Dispose() { }
    }

    [Fact]
    public void Each_rank_gets_its_gpu_its_share_of_the_cores_and_names_with_an_index_stay()
    {
        var second = new FakeRank(3, 4, 1, 2);
        Assert.Equal(("cuda:1", (string?)null), DataParallel.DevicesFor(second, "cuda", null));
        Assert.Equal(("cuda:0", (string?)null), DataParallel.DevicesFor(second, "cuda:0", null));
        Assert.Equal(("cpu", "cuda:2,cuda:3"), DataParallel.DevicesFor(second, "cpu", "cuda,cuda"));
        Assert.Matches(@"^cpu:\d+$", DataParallel.DevicesFor(second, "cpu", null).Device);
        int cores = DataParallel.RankCores(2);
        Assert.Equal($"cpu:{Math.Max(1, cores / 2)},cpu:{Math.Max(1, cores / 2)}",
            DataParallel.DevicesFor(second, "cpu", "cpu,cpu").Devices);
        // one process: as given
        Assert.Equal(("cuda", (string?)null), DataParallel.DevicesFor(new FakeRank(0, 1, 0, 1), "cuda", null));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Ranks_take_disjoint_parts_of_every_global_batch_and_as_many_steps(int ranks)
    {
        string data = Mnist.Small(_dir, 5, 0);
        var store = new GpuNet.Data.ImageStore(GpuNet.Data.ImageFolder.List(Path.Combine(data, "train")),
            new GpuNet.Data.BadFiles(true));
        var order = store.Readable();
        new Rng(3).Shuffle(order);
        var tf = new GpuNet.Data.Transform([], [1, 32, 32], [0f], [1f]);
        var whole = new GpuNet.Data.BatchLoader(store, tf, 16, 1).Run(order, 1)
            .Select(b => b.Items[..b.Count]).ToList();
        var parts = Enumerable.Range(0, ranks).Select(r => new GpuNet.Data.BatchLoader(store, tf, 16, 1)
            .Run(order, 1, shard: new Shard(r, ranks)).Select(b => b.Items[..b.Count]).ToList()).ToList();
        foreach (var part in parts) Assert.Equal(whole.Count, part.Count);
        for (int b = 0; b < whole.Count; b++)
            Assert.Equal(whole[b], parts.SelectMany(p => p[b]));
    }
}

using GpuNet.Models;
using GpuNet.Training;

namespace GpuNet.Distributed;

/// <summary>Every rank stopped after the same step, because one was asked to (SIGTERM, Ctrl+C).</summary>
public sealed class RanksStoppedException() : OperationCanceledException("every rank stopped after the same step");

/// <summary>
/// Data-parallel training's process-level pieces: whether this process is a rank of an <c>mpirun</c> job (without
/// mpirun it is one process and OpenMPI is not even loaded), the devices of each rank, and the sums of what every
/// rank computed on its part (evaluation counts, batch-norm running statistics).
/// </summary>
public static class DataParallel
{
    /// <summary>Set by OpenMPI's mpirun in every rank's environment.</summary>
    public const string WorldSizeVariable = "OMPI_COMM_WORLD_SIZE";

    /// <summary>The reducer this process started, when it is a rank of an mpirun job (for the CLI's error path).
    /// </summary>
    public static IGradientReducer? Current { get; private set; }

    /// <summary>
    /// For tests of a failing job: "RANK:STEP" makes rank RANK throw at its training step STEP of the first epoch
    /// (while the other ranks wait for that step's gradients).
    /// </summary>
    public const string FailVariable = "GPUNET_FAIL_RANK";

    /// <summary>Throws the failure <see cref="FailVariable"/> asks for, at that rank and step.</summary>
    public static void InjectedFailure(IGradientReducer r, int epoch, int step)
    {
        if (Environment.GetEnvironmentVariable(FailVariable) is not { } spec) return;
        var parts = spec.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], out int rank) && int.TryParse(parts[1], out int at) &&
            rank == r.Rank && at == step && epoch == 1)
            throw new InvalidOperationException($"injected failure at step {step} ({FailVariable}={spec})");
    }

    /// <summary>Whether this process was started by mpirun.</summary>
    public static bool UnderMpirun => Environment.GetEnvironmentVariable(WorldSizeVariable) is not null;

    /// <summary>
    /// The reducer of this process: over MPI under mpirun (loading OpenMPI, which must then be installed), else a
    /// single process.
    /// </summary>
    public static IGradientReducer Start()
    {
        if (!UnderMpirun) return new SingleProcessReducer();
        var r = MpiGradientReducer.Start();
        Current = r;
        return r;
    }

    /// <summary>
    /// Ends every rank of the job after this one failed (mpirun stops the others); nothing when not under mpirun.
    /// </summary>
    public static void Abort(int code)
    {
        if (Current is not null && !Mpi.ShutDown) MpiGradientReducer.Abort(code);
    }

    /// <summary>
    /// The devices rank <paramref name="r"/> trains on, from the names given to every rank alike: <c>cuda</c> (or
    /// <c>opencl</c>) becomes the local rank's GPU, <c>cuda:LR</c>; <c>cpu</c> becomes <c>cpu:T</c> with the node's
    /// cores shared between its ranks; in a pair (<c>--devices</c>) <c>cuda,cuda</c> becomes the rank's two GPUs
    /// <c>cuda:2LR,cuda:2LR+1</c> and <c>cpu,cpu</c> halves the rank's cores. Names with an index stay as given.
    /// </summary>
    public static (string Device, string? Devices) DevicesFor(IGradientReducer r, string device, string? devices)
    {
        if (r.Size == 1) return (device, devices);
        int cores = RankCores(r.LocalSize);
        string One(string name, int gpu, int threads) => name.Trim().ToLowerInvariant() switch
        {
            "cpu" => $"cpu:{threads}",
            "cuda" => $"cuda:{gpu}",
            "opencl" => $"opencl:{gpu}",
            _ => name,
        };
        if (devices is null) return (One(device, r.LocalRank, cores), null);
        var parts = devices.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) return (device, devices);   // Devices.OpenPair says what is wrong
        int half = Math.Max(1, cores / 2);
        return (device, $"{One(parts[0], 2 * r.LocalRank, half)},{One(parts[1], 2 * r.LocalRank + 1, half)}");
    }

    /// <summary>
    /// The cores one of <paramref name="localRanks"/> ranks on this machine may use: the cores this process may run
    /// on, divided between the local ranks, unless mpirun already bound it to fewer than the machine has (then they
    /// are its own).
    /// </summary>
    public static int RankCores(int localRanks)
    {
        int mine = Environment.ProcessorCount, machine = OnlineCores() ?? mine;
        return mine < machine ? mine : Math.Max(1, mine / Math.Max(1, localRanks));
    }

    // the machine's online cores from /sys ("0-15" or "0,2-5"); null where that cannot be read
    private static int? OnlineCores()
    {
        try
        {
            int n = 0;
            foreach (var range in File.ReadAllText("/sys/devices/system/cpu/online").Trim().Split(','))
            {
                var ends = range.Split('-');
                n += ends.Length == 1 ? 1 : int.Parse(ends[1]) - int.Parse(ends[0]) + 1;
            }
            return n;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }

    /// <summary>
    /// Every rank's evaluation of its part of a split, combined: counts, correct and top-5 counts, the loss and the
    /// confusion matrix summed, then the rates computed from the sums.
    /// </summary>
    public static EvaluationResult Sum(IGradientReducer r, EvaluationResult part)
    {
        if (r.Size == 1) return part;
        int k = part.Classes.Length;
        var v = new double[4 + k * k];
        v[0] = part.Count;
        v[1] = Math.Round(part.Accuracy * part.Count);
        v[2] = Math.Round(part.Top5 * part.Count);
        v[3] = part.Loss * part.Count;
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) v[4 + i * k + j] = part.Confusion[i, j];
        r.Sum(v);
        var confusion = new int[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) confusion[i, j] = (int)v[4 + i * k + j];
        double total = Math.Max(v[0], 1);
        return new EvaluationResult((int)v[0], v[1] / total, v[2] / total, v[3] / total, confusion, part.Classes);
    }

    /// <summary>
    /// Makes the running statistics of batch normalisation (every non-trainable parameter) the mean over the ranks.
    /// Each rank normalises its training batches with its own part's statistics, so the running means and variances
    /// drift apart between ranks; averaging them before every evaluation and checkpoint gives every rank, and the
    /// checkpoint, one set.
    /// </summary>
    public static void AverageBuffers(IGradientReducer r, INetwork network)
    {
        if (r.Size == 1) return;
        var buffers = network.Parameters.Where(p => !p.Trainable).ToList();
        if (buffers.Count == 0) return;
        var values = new double[buffers.Sum(p => p.Data.Length)];
        int at = 0;
        foreach (var p in buffers)
        {
            var host = p.Data.ToArray();
            for (int i = 0; i < host.Length; i++) values[at + i] = host[i];
            at += host.Length;
        }
        r.Sum(values);
        at = 0;
        foreach (var p in buffers)
        {
            var host = new float[p.Data.Length];
            for (int i = 0; i < host.Length; i++) host[i] = (float)(values[at + i] / r.Size);
            p.Data.CopyFrom(host);
            at += host.Length;
        }
    }
}

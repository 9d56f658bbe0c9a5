using System.Diagnostics;
using System.Numerics.Tensors;
using GpuNet.Layers;
using GpuNet.Models;

namespace GpuNet.Distributed;

/// <summary>
/// Sums gradients over the ranks of an <c>mpirun</c> job with MPI_Iallreduce, in buckets launched during backward.
/// The trainable parameters are cut, in backward order (the last layer first), into buckets of about
/// <see cref="BucketFloats"/> floats (by default a quarter of the model, between 64 KiB and 4 MiB, so even a small
/// model's reduction starts while backward still runs; <c>GPUNET_MPI_BUCKET_KIB</c> sets it), each with a pinned host
/// buffer. As backward reports a layer's gradients they are copied into their bucket; a bucket whose gradients are
/// all in is reduced at once, while backward goes on (buckets start strictly in order, so every rank issues the same
/// collectives in the same order, whatever the threads of a split network do). Each report also drives the reductions
/// in flight (MPI_Test), as OpenMPI
/// progresses non-blocking collectives only inside MPI calls. <see cref="FinishStep"/> waits for the rest and writes
/// sum / global count back to every gradient. The first bucket starts with two more numbers: the rank's image count and
/// its stop request, so the global count and a stop reach every rank with the gradients.
/// </summary>
public sealed unsafe class MpiGradientReducer : IGradientReducer
{
    /// <summary>The environment variable that sets the bucket size in KiB (a tuning knob for clusters).</summary>
    public const string BucketVariable = "GPUNET_MPI_BUCKET_KIB";
    /// <summary>
    /// Bucket bounds in floats when the size is automatic: 4 MiB keeps a reduction's latency small against its bytes;
    /// 64 KiB keeps the number of reductions of a small model low.
    /// </summary>
    public const int MinBucketFloats = 1 << 14, MaxBucketFloats = 1 << 20;

    private readonly object _gate = new();
    private Bucket[] _buckets = [];
    private Dictionary<Parameter, (int Bucket, int Offset)> _where = [];
    private readonly HashSet<Parameter> _reported = [];
    private int _nextLaunch, _count;
    private long _waitTicks, _busyTicks;
    private int _steps;

    private sealed class Bucket(Parameter[] parameters, int length)
    {
        public readonly Parameter[] Parameters = parameters;
        public readonly float[] Host = GC.AllocateArray<float>(length, pinned: true);
        public int Pending;
        public nint Request;
        public bool Done;
    }

    private MpiGradientReducer(int rank, int size, int bucketFloats)
    {
        (Rank, Size, BucketFloats) = (rank, size, bucketFloats);
        LocalRank = EnvInt("OMPI_COMM_WORLD_LOCAL_RANK", 0);
        LocalSize = EnvInt("OMPI_COMM_WORLD_LOCAL_SIZE", 1);
    }

    /// <summary>
    /// Loads OpenMPI and joins the job (MPI_Init_thread). <paramref name="bucketFloats"/>: floats per bucket, 0 for
    /// <see cref="BucketVariable"/> or else automatic.
    /// </summary>
    public static MpiGradientReducer Start(int bucketFloats = 0)
    {
        if (bucketFloats <= 0 && Environment.GetEnvironmentVariable(BucketVariable) is { } kib)
            bucketFloats = int.TryParse(kib, out int k) && k is > 0 and <= 1 << 20 ? k * 256
                : throw new ArgumentException($"{BucketVariable}={kib}: expected KiB per gradient bucket, " +
                                              "1 to 1048576");
        Mpi.Load();
        var (rank, size) = Mpi.Init();
        return new MpiGradientReducer(rank, size, bucketFloats);
    }

    private static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) ? v : fallback;

    public int Rank { get; }
    public int Size { get; }
    public int LocalRank { get; }
    public int LocalSize { get; }
    /// <summary>Floats per bucket as asked (0: automatic, see the class remarks).</summary>
    public int BucketFloats { get; }
    /// <summary>The buckets' sizes in floats, in launch order (after the first step).</summary>
    public IReadOnlyList<int> BucketSizes => _buckets.Select(b => b.Host.Length).ToList();

    public double LossWeight(int count) => count;

    public void BeginStep(INetwork network, int count, bool stop)
    {
        if (_buckets.Length == 0) Plan(network);
        _reported.Clear();
        _nextLaunch = 0;
        _count = count;
        foreach (var b in _buckets) { b.Pending = b.Parameters.Length; b.Done = false; }
        var header = _buckets[0].Host.AsSpan(0, 2);
        header[0] = count;
        header[1] = stop ? 1 : 0;
    }

    // buckets over the trainable parameters in backward order; the first one starts with the count and the stop flag
    private void Plan(INetwork network)
    {
        var order = network.Parameters.Where(p => p.Trainable).Reverse().ToList();
        long total = order.Sum(p => (long)p.Data.Length);
        int cap = BucketFloats > 0 ? BucketFloats : (int)Math.Clamp(total / 4, MinBucketFloats, MaxBucketFloats);
        var buckets = new List<Bucket>();
        _where = [];
        var members = new List<Parameter>();
        int length = 2;
        void Close()
        {
            buckets.Add(new Bucket(members.ToArray(), length));
            members.Clear();
            length = 0;
        }
        foreach (var p in order)
        {
            if (members.Count > 0 && length + p.Data.Length > cap) Close();
            _where[p] = (buckets.Count, length);
            members.Add(p);
            length += p.Data.Length;
        }
        Close();
        _buckets = buckets.ToArray();
    }

    public void GradientsReady(IReadOnlyList<Parameter> parameters)
    {
        long t0 = Stopwatch.GetTimestamp();
        // each caller copies its own device's gradients into disjoint parts of the buffers, then books them
        foreach (var p in parameters)
            if (p.Trainable) Stage(p, zero: false);
        lock (_gate)
        {
            foreach (var p in parameters)
                if (p.Trainable && _reported.Add(p)) _buckets[_where[p].Bucket].Pending--;
            LaunchReady();
            Progress();
            _busyTicks += Stopwatch.GetTimestamp() - t0;
        }
    }

    private void Stage(Parameter p, bool zero)
    {
        var (bucket, offset) = _where[p];
        var dst = _buckets[bucket].Host.AsSpan(offset, p.Data.Length);
        if (zero) dst.Clear();
        else p.Grad!.Accelerator.CopyToHost(p.Grad, dst);
    }

    private void LaunchReady()
    {
        while (_nextLaunch < _buckets.Length && _buckets[_nextLaunch].Pending == 0)
        {
            var b = _buckets[_nextLaunch++];
            fixed (float* host = b.Host) b.Request = Mpi.IallreduceSum(host, b.Host.Length);
        }
    }

    private void Progress()
    {
        for (int i = 0; i < _nextLaunch; i++)
            if (!_buckets[i].Done) _buckets[i].Done = Mpi.Test(ref _buckets[i].Request);
    }

    public (int Count, bool Stop) FinishStep()
    {
        long start = Stopwatch.GetTimestamp();
        _steps++;
        lock (_gate)
        {
            // parameters backward never reported (this rank had no images): zeros, or what backward left
            foreach (var b in _buckets)
                foreach (var p in b.Parameters)
                    if (_reported.Add(p)) { Stage(p, zero: _count == 0); b.Pending--; }
            LaunchReady();
            long t0 = Stopwatch.GetTimestamp();
            foreach (var b in _buckets)
                if (!b.Done) { Mpi.Wait(ref b.Request); b.Done = true; }
            _waitTicks += Stopwatch.GetTimestamp() - t0;
        }
        var header = _buckets[0].Host.AsSpan(0, 2);
        int count = (int)header[0];
        bool stop = header[1] > 0;
        if (count > 0)
        {
            float scale = 1f / count;
            foreach (var b in _buckets)
            {
                TensorPrimitives.Multiply(b.Host, scale, b.Host);
                foreach (var p in b.Parameters)
                {
                    var (_, offset) = _where[p];
                    p.Grad!.Accelerator.CopyFromHost(b.Host.AsSpan(offset, p.Data.Length), p.Grad);
                }
            }
        }
        lock (_gate) _busyTicks += Stopwatch.GetTimestamp() - start;
        return (count, stop);
    }

    public void Sum(Span<double> values)
    {
        lock (_gate) Mpi.AllreduceSum(values);
    }

    public ReductionTimes TakeTimes()
    {
        lock (_gate)
        {
            var t = new ReductionTimes(Stopwatch.GetElapsedTime(0, _busyTicks), Stopwatch.GetElapsedTime(0, _waitTicks),
                _steps);
            (_busyTicks, _waitTicks, _steps) = (0, 0, 0);
            return t;
        }
    }

    /// <summary>Ends the whole job with <paramref name="code"/> (every rank, through mpirun).</summary>
    public static void Abort(int code) => Mpi.Abort(code);

    /// <summary>MPI_Finalize: the job ended well on this rank.</summary>
    public void Dispose() => Mpi.Shutdown();
}

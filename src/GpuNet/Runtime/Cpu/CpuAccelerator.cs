using System.Runtime.Intrinsics;

namespace GpuNet.Runtime.Cpu;

/// <summary>
/// The managed CPU accelerator: multi-threaded, SIMD (AVX2/AVX-512 through Vector256 and System.Numerics.Tensors),
/// no native dependencies. It is the embedded default and the reference every other backend is compared with.
/// </summary>
public sealed unsafe partial class CpuAccelerator : Accelerator
{
    private readonly ParallelOptions _parallel;

    /// <param name="threads">Worker threads; default all cores. A split pair gives each accelerator its share.</param>
    /// <param name="name">Device name (cpu, cpu:1, ...).</param>
    public CpuAccelerator(int threads = 0, string name = "cpu")
    {
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        Name = name;
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads };
    }

    public override string Name { get; }
    public override string Description =>
        $"managed CPU, {Threads} thread{(Threads == 1 ? "" : "s")}, " +
        $"{(Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "scalar")}, " +
        $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB";
    public override AcceleratorKind Kind => AcceleratorKind.Cpu;
    public int Threads { get; }

    /// <summary>
    /// Whether GEMMs use the 12×32 AVX-512 micro-kernel (the default where Vector512 is accelerated) or the 6×16 AVX2
    /// one; tests run the op suite with both.
    /// </summary>
    public bool WideGemm { get; init; } = CpuSgemm.WideAvailable;

    protected override DeviceBuffer AllocateInternal(int length) => new CpuBuffer(this, length);

    protected override void CopyFromHostInternal(ReadOnlySpan<float> source, Tensor destination) =>
        source.CopyTo(S(destination));
    protected override void CopyToHostInternal(Tensor source, Span<float> destination) => S(source).CopyTo(destination);

    /// <summary>The tensor's elements as a span.</summary>
    internal static Span<float> S(Tensor t) => ((CpuBuffer)t.Buffer).Data.AsSpan(t.Offset, t.Length);
    /// <summary>Pointer to the tensor's first element (buffers are pinned).</summary>
    internal static float* P(Tensor t) => ((CpuBuffer)t.Buffer).Pointer + t.Offset;

    /// <summary>
    /// Runs body(start, end) over [0, count) in at most <see cref="Threads"/> contiguous chunks, none smaller than
    /// <paramref name="grain"/> items; small jobs run inline on the caller.
    /// </summary>
    internal void For(int count, int grain, Action<int, int> body) => ForChunks(count, grain, (_, s, e) => body(s, e));

    /// <summary>As <see cref="For"/>, also passing the chunk index (0 ≤ chunk &lt; <see cref="Chunks"/>).</summary>
    internal void ForChunks(int count, int grain, Action<int, int, int> body)
    {
        int chunks = Chunks(count, grain);
        if (chunks <= 1) { if (count > 0) body(0, 0, count); return; }
        Parallel.For(0, chunks, _parallel,
            i => body(i, (int)((long)count * i / chunks), (int)((long)count * (i + 1) / chunks)));
    }

    /// <summary>Number of chunks <see cref="For"/> would use; lets callers size per-chunk scratch.</summary>
    internal int Chunks(int count, int grain) =>
        Math.Max(1, Math.Min(Threads, (count + Math.Max(grain, 1) - 1) / Math.Max(grain, 1)));

    internal ParallelOptions ParallelOptions => _parallel;
}

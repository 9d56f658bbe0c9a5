using System.Reflection;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using IlDevice = ILGPU.Runtime.Accelerator;

namespace GpuNet.Runtime.Ilgpu;

/// <summary>
/// Runs the C# kernels of kernels/ through ILGPU: on CUDA (ILGPU emits PTX; only the NVIDIA driver is needed), on
/// OpenCL 2.0+ devices, or on ILGPU's CPU accelerator, which executes the same kernels thread by thread (tests and
/// kernel debugging). One ILGPU accelerator and its default stream per instance; kernels are loaded once, on first
/// use; one workspace and one page-locked upload buffer are reused. Arguments were checked by the base class, so the
/// op files here only pick the kernel, its views and its launch shape. One thread drives an accelerator at a time.
/// </summary>
public sealed partial class IlgpuAccelerator : Accelerator
{
    private readonly IlDevice _device;
    private readonly Dictionary<MethodInfo, Delegate> _kernels = [];
    private Tensor? _workspace;
    private PageLockedArray1D<float>? _staging;
    private string _lastKernel = "";

    internal IlgpuAccelerator(IlDevice device, string name, AcceleratorKind kind, LaunchShape launch)
    {
        _device = device;
        Name = name;
        Kind = kind;
        Launch = launch;
        GemmTiling = launch.Gemm;
    }

    public override string Name { get; }
    public override AcceleratorKind Kind { get; }
    public override string Description => Kind == AcceleratorKind.IlgpuCpu
        ? "ILGPU CPU accelerator (GPU kernels simulated thread by thread), " +
          $"{_device.MaxNumThreadsPerGroup} threads a group"
        : $"{_device.Name}, {_device.NumMultiprocessors} compute units, {_device.MemorySize / (1L << 20):N0} MiB"
          + (_device is CudaAccelerator cuda ? $", sm_{cuda.Architecture.Major}{cuda.Architecture.Minor}" : "");

    /// <summary>Threads per group and group counts this device's launches use.</summary>
    internal LaunchShape Launch { get; }

    /// <summary>The tiled GEMM's threads per group and k-step (tests try others).</summary>
    public GemmTiling GemmTiling { get; set; }

    /// <summary>
    /// How convolutions run: <see cref="ConvAlgorithm.Auto"/> picks by a fixed rule per shape (the same run for the
    /// same seed); <see cref="ConvAlgorithm.Measure"/> times both once per shape and keeps the faster (see
    /// <see cref="ConvChoices"/>).
    /// </summary>
    public ConvAlgorithm ConvAlgorithm { get; set; } = ConvAlgorithm.Auto;

    /// <summary>
    /// When set, the name of every kernel launched is added to it (<c>gpunet doctor</c> checks coverage so).
    /// </summary>
    public ISet<string>? LaunchLog { get; set; }

    /// <summary>The underlying ILGPU accelerator (for diagnostics and benchmarks).</summary>
    public IlDevice Device => _device;

    protected override DeviceBuffer AllocateInternal(int length)
    {
        try
        {
            return new IlgpuBuffer(this, _device.Allocate1D<float>(length), length);
        }
        catch (Exception e) when (e is OutOfMemoryException || IsOutOfMemory(e))
        {
            throw new AcceleratorException(OutOfMemoryMessage((long)length * sizeof(float)));
        }
    }

    private string OutOfMemoryMessage(long requested)
    {
        string free = _device is CudaAccelerator cuda ? $"{Mib(cuda.GetFreeMemory())} free of " : "";
        return $"{Name} is out of memory: {Mib(requested)} requested, {free}{Mib(_device.MemorySize)} in all, " +
               $"{Mib(AllocatedBytes)} held by GpuNet; try a smaller --batch";
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):N1} MiB";

    protected override void CopyFromHostInternal(ReadOnlySpan<float> source, Tensor destination)
    {
        // uploads pass through a reused page-locked buffer: the driver copies from pinned memory without staging
        if (_staging is null || _staging.Length < source.Length)
        {
            _staging?.Dispose();
            _staging = _device.AllocatePageLocked1D<float>(Math.Max(source.Length, 1024));
        }
        var pinned = _staging.Span[..source.Length];
        source.CopyTo(pinned);
        ReadOnlySpan<float> from = pinned;
        try { V(destination).CopyFromCPU(_device.DefaultStream, from); }
        catch (Exception e) when (IsDeviceError(e)) { throw Fault(e); }
    }

    protected override void CopyToHostInternal(Tensor source, Span<float> destination)
    {
        try { V(source).CopyToCPU(_device.DefaultStream, destination); }
        catch (Exception e) when (IsDeviceError(e)) { throw Fault(e); }
    }

    /// <summary>
    /// Two ILGPU CPU accelerators share the host's memory; two accelerators on one CUDA GPU share its unified address
    /// space. Other pairs stage through the host.
    /// </summary>
    public override bool CanCopyFromPeer(Accelerator peer) => peer is IlgpuAccelerator other && other != this
        && (Kind == AcceleratorKind.IlgpuCpu && other.Kind == AcceleratorKind.IlgpuCpu
            || _device is CudaAccelerator a && other._device is CudaAccelerator b && a.DeviceId == b.DeviceId);

    protected override void CopyFromPeerInternal(Tensor src, Tensor dst)
    {
        try
        {
            V(src).CopyTo(_device.DefaultStream, V(dst));
            _device.Synchronize();   // read before the peer may reuse its buffer
        }
        catch (Exception e) when (IsDeviceError(e)) { throw Fault(e); }
    }

    public override void Synchronize()
    {
        try { _device.Synchronize(); }
        catch (Exception e) when (IsDeviceError(e)) { throw Fault(e); }
    }

    /// <summary>The tensor's elements as a kernel argument.</summary>
    private static ArrayView<float> V(Tensor t) => ((IlgpuBuffer)t.Buffer).View.SubView(t.Offset, t.Length);

    /// <summary>Elements [offset, offset + length) of the tensor as a kernel argument.</summary>
    private static ArrayView<float> V(Tensor t, int offset, int length) =>
        ((IlgpuBuffer)t.Buffer).View.SubView(t.Offset + offset, length);

    /// <summary>
    /// At least <paramref name="length"/> elements of the accelerator's workspace, grown as needed (counted in its
    /// memory). Ops on the in-order stream share it one after another; kernels may read it as ints.
    /// </summary>
    private Tensor Scratch(int length)
    {
        if (_workspace is null || _workspace.Length < length)
        {
            _workspace?.Dispose();
            _workspace = Allocate(length);
        }
        return _workspace.Slice(0, length);
    }

    /// <summary>A grid-stride launch over <paramref name="items"/> elements.</summary>
    private KernelConfig Stride(int items) =>
        new(Math.Clamp((items + Launch.Local - 1) / Launch.Local, 1, Launch.MaxGroups), Launch.Local);

    /// <summary>One group per item (channel, row), groups striding over <paramref name="items"/>.</summary>
    private KernelConfig PerGroup(int items) => new(Math.Clamp(items, 1, Launch.MaxGroups), Launch.ReductionLocal);

    /// <summary>A single group (reductions whose summation order must not depend on the device).</summary>
    private KernelConfig OneGroup => new(1, Launch.ReductionLocal);

    // Kernels are loaded (compiled for this device) once, on first use, and cached by method.
    private Action<KernelConfig, T1, T2> K<T1, T2>(Action<T1, T2> kernel)
        where T1 : struct where T2 : struct =>
        (Action<KernelConfig, T1, T2>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3> K<T1, T2, T3>(Action<T1, T2, T3> kernel)
        where T1 : struct where T2 : struct where T3 : struct =>
        (Action<KernelConfig, T1, T2, T3>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3, T4> K<T1, T2, T3, T4>(Action<T1, T2, T3, T4> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3, T4, T5> K<T1, T2, T3, T4, T5>(Action<T1, T2, T3, T4, T5> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6> K<T1, T2, T3, T4, T5, T6>(
        Action<T1, T2, T3, T4, T5, T6> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7> K<T1, T2, T3, T4, T5, T6, T7>(
        Action<T1, T2, T3, T4, T5, T6, T7> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
        where T7 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9> K<T1, T2, T3, T4, T5, T6, T7, T8, T9>(
        Action<T1, T2, T3, T4, T5, T6, T7, T8, T9> kernel)
        where T1 : struct where T2 : struct where T3 : struct where T4 : struct where T5 : struct where T6 : struct
        where T7 : struct where T8 : struct where T9 : struct =>
        (Action<KernelConfig, T1, T2, T3, T4, T5, T6, T7, T8, T9>)Load(kernel, () => _device.LoadStreamKernel(kernel));

    private Delegate Load(Delegate kernel, Func<Delegate> load)
    {
        var method = kernel.Method;
        if (!_kernels.TryGetValue(method, out var launcher))
        {
            try { _kernels[method] = launcher = load(); }
            catch (Exception e) when (e is not AcceleratorException)
            {
                throw new AcceleratorException($"kernel {method.Name} could not be compiled for {Name}: {e.Message}");
            }
        }
        _lastKernel = method.Name;
        LaunchLog?.Add(method.Name);
        return launcher;
    }

    private static bool IsOutOfMemory(Exception e) =>
        e is CudaException c && (c.Error ?? "").Contains("OUT_OF_MEMORY", StringComparison.Ordinal)
        || e.GetType().Name == "CLException" && e.Message.Contains("OUT_OF", StringComparison.Ordinal);

    private static bool IsDeviceError(Exception e) => e is CudaException || e.GetType().Name == "CLException";

    /// <summary>A device error at a synchronisation or copy: out of memory, or a kernel that faulted.</summary>
    private AcceleratorException Fault(Exception e) => IsOutOfMemory(e)
        ? new AcceleratorException(OutOfMemoryMessage(0))
        : new AcceleratorException($"{Name}: {e.Message} (last kernel launched: {_lastKernel}); the device context " +
                                   "is lost after a kernel fault, restart the process");

    public override void Dispose()
    {
        _workspace?.Dispose();
        _workspace = null;
        _staging?.Dispose();
        _staging = null;
        _kernels.Clear();
        _device.Dispose();
        base.Dispose();
    }
}

/// <summary>
/// How an ILGPU device is launched: threads per group and the most groups of grid-stride kernels, threads per group of
/// per-channel reductions, and the GEMM tiling. GPUs take wide groups; ILGPU's CPU accelerator simulates each thread
/// with an OS thread, so it takes tiny ones.
/// </summary>
internal sealed record LaunchShape(int Local, int MaxGroups, int ReductionLocal, GemmTiling Gemm);

/// <summary>
/// The tiled GEMM's group of ThreadsX × ThreadsY threads (each computing a 4 × 4 block, so a (4·ThreadsY) ×
/// (4·ThreadsX)
/// tile of C) and the k-step KTile of the tiles staged in shared memory. Problems with fewer multiply-adds than
/// DirectBelow use the one-thread-per-element GEMM.
/// </summary>
public sealed record GemmTiling(int ThreadsX, int ThreadsY, int KTile, long DirectBelow = 1 << 15)
{
    /// <summary>GPUs: 16 × 16 threads, 64 × 64 tiles, k-step 16 (8 KiB of shared memory a group).</summary>
    public static readonly GemmTiling Gpu = new(16, 16, 16);
    /// <summary>
    /// ILGPU's CPU accelerator: 2 × 2 threads, 8 × 8 tiles, k-step 32 (fewer barriers, each costly there).
    /// </summary>
    public static readonly GemmTiling Cpu = new(2, 2, 32);

    public int TileM => 4 * ThreadsY;
    public int TileN => 4 * ThreadsX;
    public int SharedFloats => KTile * (TileM + TileN);
}

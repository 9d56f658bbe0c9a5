using System.Diagnostics;
using System.Text;

namespace GpuNet.Runtime.Cuda;

/// <summary>
/// An accelerator on one CUDA device: the device's primary context, one non-blocking stream of its own, a caching
/// allocator, and the <c>kernels/</c> sources compiled by NVRTC through the CUDA prelude (cached on disk, see
/// <see cref="CudaProgramCache"/>); the ops' launches are shared with OpenCL in <see cref="KernelAccelerator"/>.
/// Tensors stay on the device: host copies happen only when asked for. Two accelerators may share one GPU
/// (<c>cuda:0,cuda:0</c> for the split model): each has its own stream and memory pool. One thread drives an
/// accelerator at a time, any thread: each call makes the context current on the calling thread first.
/// </summary>
public sealed unsafe class CudaAccelerator : KernelAccelerator
{
    [ThreadStatic] private static nint _currentContext;

    private readonly CudaDeviceInfo _info;
    private readonly int _device;
    private nint _context, _stream, _eventStart, _eventEnd;
    private readonly CudaMemoryPool _pool;
    private string _lastKernel = "(none yet)";

    /// <summary>Opens <c>cuda:index</c>; <paramref name="name"/> tells two accelerators on the same GPU apart.</summary>
    public CudaAccelerator(int index = 0, string? name = null)
    {
        var all = CudaDevices.All;
        if (all.Count == 0)
            throw new ArgumentException($"device 'cuda:{index}': CUDA is unavailable: {CudaDevices.WhyUnavailable}; available: {string.Join(", ", Devices.Available())}");
        if (index < 0 || index >= all.Count)
            throw new ArgumentException($"device 'cuda:{index}' does not exist; this machine has cuda:0 to cuda:{all.Count - 1}");
        _info = all[index];
        Name = name ?? $"cuda:{index}";
        int dev;
        CudaApi.Check(CudaApi.DeviceGet(&dev, index), "cuDeviceGet");
        _device = dev;
        nint ctx;
        CudaApi.Check(CudaApi.DevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
        _context = ctx;
        MakeCurrent();
        nint stream, e0, e1;
        CudaApi.Check(CudaApi.StreamCreate(&stream, CudaApi.StreamNonBlocking), "cuStreamCreate");
        _stream = stream;
        CudaApi.Check(CudaApi.EventCreate(&e0, 0), "cuEventCreate");
        CudaApi.Check(CudaApi.EventCreate(&e1, 0), "cuEventCreate");
        (_eventStart, _eventEnd) = (e0, e1);
        _pool = new CudaMemoryPool(this);   // GemmTuning stays the GPU set, KernelAccelerator's default
    }

    public override string Name { get; }
    public override string Description =>
        $"{_info.Name}, compute capability {_info.ComputeCapabilityString}, {_info.Multiprocessors} SMs, {_info.TotalMemory >> 20} MiB, " +
        $"CUDA driver {_info.DriverVersion}, NVRTC {Nvrtc.VersionString ?? "missing"}";
    public override AcceleratorKind Kind => AcceleratorKind.Cuda;
    public CudaDeviceInfo Info => _info;

    /// <summary>Bytes this accelerator holds from the driver: tensors in use plus the allocator's cached blocks.</summary>
    public long ReservedBytes => _pool.Reserved;

    /// <summary>The accelerator's stream, for interop with CUDA libraries (the bench's cuBLAS comparison).</summary>
    internal nint Stream => _stream;

    /// <summary>Makes this accelerator's context current on the calling thread (the driver API is per thread).</summary>
    internal void MakeCurrent()
    {
        if (_currentContext == _context) return;
        CudaApi.Check(CudaApi.CtxSetCurrent(_context), "cuCtxSetCurrent");
        _currentContext = _context;
    }

    /// <summary>
    /// Checks a driver result; errors that leave the context corrupt (illegal address, launch failure, …) name the
    /// last kernel launched, since launches are asynchronous and their failure surfaces at a later call.
    /// </summary>
    internal void Check(int result, string call, string? detail = null)
    {
        if (result == 0) return;
        if (CudaException.IsSticky(result))
            throw new CudaException(call, result,
                $"a kernel on {Name} failed, most likely {_lastKernel} (the last one launched before this call). The CUDA context is now " +
                "unusable: restart the process. Run `gpunet doctor --device cuda` to find the failing kernel");
        throw new CudaException(call, result, detail);
    }

    protected override DeviceBuffer AllocateInternal(int length)
    {
        MakeCurrent();
        long bytes = (long)length * sizeof(float);
        return new CudaBuffer(this, length, _pool.Rent(bytes, out long size), size);
    }

    internal void Free(CudaBuffer buffer) => _pool.Return(buffer.Pointer, buffer.Reserved);

    internal static ulong Pointer(Tensor t) => ((CudaBuffer)t.Buffer).Pointer + (ulong)t.Offset * sizeof(float);

    protected override void CopyFromHostInternal(ReadOnlySpan<float> source, Tensor destination)
    {
        MakeCurrent();
        // from pageable memory the driver stages the data before returning, so the span may change afterwards
        fixed (float* p = source)
            Check(CudaApi.MemcpyHtoDAsync(Pointer(destination), p, (nuint)source.Length * sizeof(float), _stream), "cuMemcpyHtoDAsync");
    }

    protected override void CopyToHostInternal(Tensor source, Span<float> destination)
    {
        MakeCurrent();
        fixed (float* p = destination)
        {
            Check(CudaApi.MemcpyDtoHAsync(p, Pointer(source), (nuint)source.Length * sizeof(float), _stream), "cuMemcpyDtoHAsync");
            Check(CudaApi.StreamSynchronize(_stream), "cuStreamSynchronize");
        }
    }

    public override void Synchronize()
    {
        MakeCurrent();
        Check(CudaApi.StreamSynchronize(_stream), "cuStreamSynchronize");
    }

    /// <summary>GPU time of the work <paramref name="run"/> queues, measured with events on this stream.</summary>
    protected override double TimeMilliseconds(Action run)
    {
        MakeCurrent();
        Check(CudaApi.EventRecord(_eventStart, _stream), "cuEventRecord");
        run();
        Check(CudaApi.EventRecord(_eventEnd, _stream), "cuEventRecord");
        Check(CudaApi.EventSynchronize(_eventEnd), "cuEventSynchronize");
        float ms;
        Check(CudaApi.EventElapsedTime(&ms, _eventStart, _eventEnd), "cuEventElapsedTime");
        return ms;
    }

    protected override KernelProgram BuildProgram(string file, IReadOnlyList<KeyValuePair<string, string>> defines, string kernel)
    {
        MakeCurrent();
        return CudaProgramCache.Build(this, file, defines, kernel);
    }

    protected override ulong ArgumentOf(DeviceBuffer buffer) => ((CudaBuffer)buffer).Pointer;

    protected internal override void Launch(CompiledKernel kernel, in KernelArguments args, int groups0, int groups1, int local0, int local1)
    {
        MakeCurrent();
        if (groups1 > _info.MaxGridDimY)
            throw new ArgumentException($"kernel {kernel.Name} on {Name}: {groups1} blocks in y exceed the device's {_info.MaxGridDimY}");
        int n = args.Count;
        ulong* values = stackalloc ulong[Math.Max(n, 1)];
        void** pointers = stackalloc void*[Math.Max(n, 1)];
        // cuLaunchKernel reads each parameter's size from the kernel's signature, through a pointer to its value;
        // 4-byte values sit in the low half of their slot (little-endian)
        for (int i = 0; i < n; i++) { values[i] = args.Value(i); pointers[i] = &values[i]; }
        _lastKernel = kernel.Name;
        Check(CudaApi.LaunchKernel(kernel.Handle, (uint)groups0, (uint)groups1, 1, (uint)local0, (uint)local1, 1, 0, _stream, pointers, null),
            $"cuLaunchKernel({kernel.Name})", $"grid {groups0}x{groups1}, block {local0}x{local1}");
    }

    /// <summary>Frees everything without throwing, also after an error that left the context unusable.</summary>
    public override void Dispose()
    {
        if (_context == 0) return;
        CudaApi.CtxSetCurrent(_context);
        _currentContext = _context;
        CudaApi.StreamSynchronize(_stream);
        try { ReleaseKernels(); } catch (CudaException) { }
        _pool.ReleaseCached(synchronize: false);
        CudaApi.EventDestroy(_eventStart);
        CudaApi.EventDestroy(_eventEnd);
        CudaApi.StreamDestroy(_stream);
        CudaApi.DevicePrimaryCtxRelease(_device);
        _context = _stream = 0;
        _currentContext = 0;
        base.Dispose();
    }

    internal long FreeDeviceBytes(out long total)
    {
        nuint free, tot;
        CudaApi.MemGetInfo(&free, &tot);
        total = (long)tot;
        return (long)free;
    }
}

/// <summary>Device memory of a CUDA accelerator: a block from its caching allocator.</summary>
public sealed class CudaBuffer : DeviceBuffer
{
    private readonly CudaAccelerator _owner;

    internal CudaBuffer(CudaAccelerator owner, int length, ulong pointer, long reserved) : base(owner, length)
    {
        _owner = owner; Pointer = pointer; Reserved = reserved;
    }

    internal ulong Pointer { get; }
    /// <summary>The block's size in the allocator (the request rounded up).</summary>
    internal long Reserved { get; }

    protected override void FreeInternal() => _owner.Free(this);
}

/// <summary>
/// A caching allocator (PyTorch's idea, simplified): freed blocks go to a free list by rounded size and are reused by
/// the next request of that size, so a training step allocates nothing from the driver after the first. Reuse is safe
/// because one stream runs everything of this accelerator in order. When the driver runs out, the cached blocks are
/// released and the allocation retried once; if it still fails the error says how much was asked, free, total and
/// held, and the accelerator stays usable.
/// </summary>
internal sealed unsafe class CudaMemoryPool(CudaAccelerator acc)
{
    private readonly Dictionary<long, Stack<ulong>> _free = [];
    private long _reserved;

    public long Reserved => Interlocked.Read(ref _reserved);

    /// <summary>Requests round up to 512 bytes below 1 MiB and to 2 MiB above, so freed blocks fit later requests.</summary>
    public static long Round(long bytes) => bytes <= 1 << 20 ? Math.Max(512, (bytes + 511) & ~511L) : (bytes + (2 << 20) - 1) & ~((2L << 20) - 1);

    public ulong Rent(long bytes, out long size)
    {
        size = Round(bytes);
        lock (_free)
        {
            if (_free.TryGetValue(size, out var stack) && stack.Count > 0) return stack.Pop();
        }
        ulong ptr;
        int status = CudaApi.MemAlloc(&ptr, (nuint)size);
        if (status == CudaException.OutOfMemory)
        {
            ReleaseCached();
            status = CudaApi.MemAlloc(&ptr, (nuint)size);
        }
        if (status == CudaException.OutOfMemory)
        {
            long free = acc.FreeDeviceBytes(out long total);
            throw new CudaException("cuMemAlloc", status,
                $"{acc.Name} could not allocate {bytes:N0} bytes: {free:N0} free of {total:N0}, GpuNet holds {Reserved:N0} on this " +
                $"accelerator ({acc.AllocatedBytes:N0} in tensors). Try a smaller --batch; the engine is still usable");
        }
        acc.Check(status, "cuMemAlloc", $"{bytes:N0} bytes on {acc.Name}");
        Interlocked.Add(ref _reserved, size);
        return ptr;
    }

    public void Return(ulong ptr, long size)
    {
        lock (_free)
        {
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<ulong>();
            stack.Push(ptr);
        }
    }

    /// <summary>Gives every cached block back to the driver (after the stream has finished with them).</summary>
    public void ReleaseCached(bool synchronize = true)
    {
        if (synchronize) acc.Synchronize();
        lock (_free)
        {
            foreach (var (size, stack) in _free)
                while (stack.Count > 0)
                {
                    CudaApi.MemFree(stack.Pop());
                    Interlocked.Add(ref _reserved, -size);
                }
        }
    }
}

/// <summary>A CUDA module (one kernels/ file with its defines) and its functions.</summary>
internal sealed unsafe class CudaProgram(CudaAccelerator acc, nint module, string file) : KernelProgram
{
    private readonly Dictionary<string, CompiledKernel> _kernels = [];

    public override CompiledKernel Kernel(string name)
    {
        if (_kernels.TryGetValue(name, out var k)) return k;
        nint function;
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes) acc.Check(CudaApi.ModuleGetFunction(&function, module, p), $"cuModuleGetFunction({name})", $"no such kernel in kernels/{file}?");
        int max;
        acc.Check(CudaApi.FuncGetAttribute(&max, CudaApi.FuncAttrMaxThreadsPerBlock, function), "cuFuncGetAttribute");
        return _kernels[name] = new CompiledKernel(function, name, Math.Min(max, acc.Info.MaxThreadsPerBlock));
    }

    public override void Dispose()
    {
        acc.MakeCurrent();
        CudaApi.ModuleUnload(module);
    }
}

/// <summary>
/// Compiles kernels/ files with NVRTC for the device (see <see cref="Nvrtc.Target"/>) and keeps the cubin or PTX on disk
/// (<see cref="KernelBinaryCache"/>, folder <c>cuda</c>) keyed by the composed source, the options, the device and the
/// NVRTC and driver versions. A cached image the driver rejects is compiled again.
/// </summary>
internal static unsafe class CudaProgramCache
{
    /// <summary>Counts of builds from source and from cached images (for tests and diagnostics).</summary>
    public static int SourceBuilds, CachedBuilds;

    public static (string[] Options, bool Cubin) Options(CudaDeviceInfo device)
    {
        var (arch, cubin) = Nvrtc.Target(device.ComputeCapability, Nvrtc.SupportedArchs);
        return ([arch, "-std=c++17"], cubin);
    }

    public static string Key(CudaDeviceInfo d, string source, IEnumerable<string> options) =>
        KernelBinaryCache.Key(source, string.Join(" ", options), d.Name, d.ComputeCapabilityString, d.DriverVersion, Nvrtc.VersionString ?? "");

    public static CudaProgram Build(CudaAccelerator acc, string file, IReadOnlyList<KeyValuePair<string, string>> defines, string kernel)
    {
        if (Nvrtc.WhyUnavailable is { } why) throw new CudaException($"{acc.Name}: cannot compile kernels/{file}: {why}");
        string source = KernelSource.Compose(file, KernelDialect.Cuda, defines);
        var (options, cubin) = Options(acc.Info);
        string path = Path.Combine(KernelBinaryCache.Directory("cuda"), Key(acc.Info, source, options) + (cubin ? ".cubin" : ".ptx"));
        nint module;
        if (KernelBinaryCache.TryRead(path) is { Length: > 0 } cached && Load(cached, out module) == 0)
        {
            Interlocked.Increment(ref CachedBuilds);
            return new CudaProgram(acc, module, file);
        }
        var image = Nvrtc.Compile(source, $"kernels/{file}", options, cubin, kernel);
        Interlocked.Increment(ref SourceBuilds);
        acc.Check(Load(image, out module), "cuModuleLoadData", $"kernels/{file} compiled with {string.Join(" ", options)}");
        KernelBinaryCache.TryWrite(path, image);
        return new CudaProgram(acc, module, file);
    }

    private static int Load(byte[] image, out nint module)
    {
        nint m;
        int status;
        fixed (byte* p = image) status = CudaApi.ModuleLoadData(&m, p);
        module = m;
        return status;
    }
}

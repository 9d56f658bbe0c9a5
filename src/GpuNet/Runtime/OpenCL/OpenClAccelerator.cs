namespace GpuNet.Runtime.OpenCL;

/// <summary>
/// An accelerator on one OpenCL device: its own context and in-order queue; kernels from <c>kernels/</c> compiled at
/// run time (and cached on disk, see <see cref="OpenClProgramCache"/>). One thread drives an accelerator at a time.
/// </summary>
public sealed unsafe partial class OpenClAccelerator : Accelerator
{
    private readonly OpenClDeviceInfo _info;
    private readonly Dictionary<string, OpenClProgram> _programs = [];
    private nint _context, _queue;

    /// <summary>Opens <c>opencl:index</c>, numbered across platforms as <c>gpunet devices</c> lists them.</summary>
    public OpenClAccelerator(int index = 0)
    {
        var all = OpenClDevices.All;
        if (all.Count == 0) throw new ArgumentException($"device 'opencl:{index}': {OpenClDevices.WhyUnavailable}");
        if (index < 0 || index >= all.Count)
            throw new ArgumentException($"device 'opencl:{index}' does not exist; this machine has opencl:0 to opencl:{all.Count - 1}");
        _info = all[index];
        Name = $"opencl:{index}";
        nint device = _info.Device;
        int err;
        _context = OpenClApi.CreateContext(null, 1, &device, 0, 0, &err);
        OpenClApi.Check(err, "clCreateContext");
        _queue = OpenClApi.CreateCommandQueue(_context, device, 0, &err);
        OpenClApi.Check(err, "clCreateCommandQueue");
        GemmTuning = GemmParameters.For(_info);
    }

    public override string Name { get; }
    public override string Description =>
        $"{_info.Name} ({_info.PlatformName}, driver {_info.DriverVersion}), {_info.ComputeUnits} compute units, {_info.GlobalMemory >> 20} MiB";
    public override AcceleratorKind Kind => AcceleratorKind.OpenCL;
    public OpenClDeviceInfo Info => _info;

    /// <summary>GEMM tuning parameters for this device (CPU: register tiling; GPU: local-memory tiling).</summary>
    public GemmParameters GemmTuning { get; set; }

    /// <summary>How convolutions run; <see cref="ConvAlgorithm.Auto"/> times both once per shape and keeps the faster.</summary>
    public ConvAlgorithm ConvAlgorithm { get; set; } = ConvAlgorithm.Auto;

    internal nint Context => _context;
    internal nint Queue => _queue;

    protected override DeviceBuffer AllocateInternal(int length)
    {
        if ((long)length * 4 > _info.MaxAllocation)
            throw new OpenClException($"{Name}: one buffer of {(long)length * 4} bytes exceeds the device's largest allocation ({_info.MaxAllocation} bytes)");
        return new OpenClBuffer(this, length);
    }

    internal static nint Mem(Tensor t) => ((OpenClBuffer)t.Buffer).Handle;

    protected override void CopyFromHostInternal(ReadOnlySpan<float> source, Tensor destination)
    {
        fixed (float* p = source)
            OpenClApi.Check(OpenClApi.EnqueueWriteBuffer(_queue, Mem(destination), 1, (nuint)destination.Offset * 4, (nuint)source.Length * 4, p, 0, null, null), "clEnqueueWriteBuffer");
    }

    protected override void CopyToHostInternal(Tensor source, Span<float> destination)
    {
        fixed (float* p = destination)
            OpenClApi.Check(OpenClApi.EnqueueReadBuffer(_queue, Mem(source), 1, (nuint)source.Offset * 4, (nuint)source.Length * 4, p, 0, null, null), "clEnqueueReadBuffer");
    }

    public override void Synchronize() => OpenClApi.Check(OpenClApi.Finish(_queue), "clFinish");

    /// <summary>A kernel of a kernels/ file, built with the given defines (programs are built once per file and defines).</summary>
    internal KernelCall Kernel(string file, string name, IReadOnlyList<KeyValuePair<string, string>>? defines = null)
    {
        string key = file + "|" + string.Join(";", (defines ?? []).Select(d => d.Key + "=" + d.Value));
        if (!_programs.TryGetValue(key, out var program))
        {
            try { _programs[key] = program = OpenClProgramCache.Build(this, file, defines ?? []); }
            catch (OpenClException e) when (e.Call == "clBuildProgram")
            {
                throw new OpenClException("clBuildProgram", e.Status, $"building kernel {name}: {e.Message}");
            }
        }
        return new KernelCall(this, program.Kernel(name), name);
    }

    private Tensor? _workspace;

    /// <summary>
    /// At least <paramref name="length"/> elements of the accelerator's workspace, grown as needed (counted in its memory).
    /// Ops on this accelerator's in-order queue share it one after another; kernels may read it as ints.
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

    public override void Dispose()
    {
        _workspace?.Dispose();
        _workspace = null;
        foreach (var p in _programs.Values) p.Dispose();
        _programs.Clear();
        if (_queue != 0) { OpenClApi.Finish(_queue); OpenClApi.ReleaseCommandQueue(_queue); _queue = 0; }
        if (_context != 0) { OpenClApi.ReleaseContext(_context); _context = 0; }
        base.Dispose();
    }

    /// <summary>Sets a kernel's arguments in order and launches it. Tensors pass as (buffer, element offset).</summary>
    internal struct KernelCall(OpenClAccelerator acc, nint kernel, string name)
    {
        private uint _arg;

        public KernelCall Buf(Tensor t, int extraOffset = 0)
        {
            nint mem = Mem(t);
            int off = t.Offset + extraOffset;
            Set((nuint)sizeof(nint), &mem);
            Set(sizeof(int), &off);
            return this;
        }

        public KernelCall Int(int v) { Set(sizeof(int), &v); return this; }
        public KernelCall UInt(uint v) { Set(sizeof(uint), &v); return this; }
        public KernelCall Float(float v) { Set(sizeof(float), &v); return this; }

        private void Set(nuint size, void* value)
        {
            int status = OpenClApi.SetKernelArg(kernel, _arg, size, value);
            if (status != 0) throw new OpenClException($"clSetKernelArg({name}, arg {_arg})", status);
            _arg++;
        }

        /// <summary>1-D launch over <paramref name="items"/> work items, padded to the local size (kernels bound-check).</summary>
        public void Launch(int items, int local = 0)
        {
            if (items <= 0) return;
            if (local <= 0) local = Math.Min(64, MaxLocal());
            Enqueue(1, [(nuint)((items + local - 1) / local * local), 1], [(nuint)local, 1]);
        }

        /// <summary>2-D launch of groups0 × groups1 work-groups of local0 × local1 items.</summary>
        public void Launch2D(int groups0, int groups1, int local0, int local1)
        {
            if (local0 * local1 > MaxLocal())
                throw new OpenClException($"kernel {name} on {acc.Name}: work-group {local0}x{local1} exceeds the {MaxLocal()} items this device allows for it; pick smaller tuning parameters");
            Enqueue(2, [(nuint)(groups0 * local0), (nuint)(groups1 * local1)], [(nuint)local0, (nuint)local1]);
        }

        private int MaxLocal()
        {
            nuint max;
            OpenClApi.Check(OpenClApi.GetKernelWorkGroupInfo(kernel, acc._info.Device, OpenClApi.KernelWorkGroupSize, (nuint)sizeof(nuint), &max, null), "clGetKernelWorkGroupInfo");
            return (int)Math.Min((ulong)max, (ulong)acc._info.MaxWorkGroupSize);
        }

        private void Enqueue(uint dims, nuint[] global, nuint[] local)
        {
            fixed (nuint* g = global, l = local)
            {
                int status = OpenClApi.EnqueueNDRangeKernel(acc._queue, kernel, dims, null, g, l, 0, null, null);
                if (status != 0) throw new OpenClException($"clEnqueueNDRangeKernel({name})", status, $"global {string.Join("x", global.Take((int)dims))}, local {string.Join("x", local.Take((int)dims))}");
            }
        }
    }
}

/// <summary>How an accelerator runs convolutions.</summary>
public enum ConvAlgorithm { Auto, Direct, Im2colGemm }

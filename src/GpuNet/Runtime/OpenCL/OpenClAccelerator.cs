namespace GpuNet.Runtime.OpenCL;

/// <summary>
/// An accelerator on one OpenCL device: its own context and in-order queue; kernels from <c>kernels/</c> compiled at
/// run time (and cached on disk, see <see cref="OpenClProgramCache"/>); the ops' launches are shared with CUDA in
/// <see cref="KernelAccelerator"/>. One thread drives an accelerator at a time.
/// </summary>
public sealed unsafe class OpenClAccelerator : KernelAccelerator
{
    private readonly OpenClDeviceInfo _info;
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
        GemmTuning = _info.IsCpu ? GemmParameters.Cpu : GemmParameters.Gpu;
    }

    public override string Name { get; }
    public override string Description =>
        $"{_info.Name} ({_info.PlatformName}, driver {_info.DriverVersion}), {_info.ComputeUnits} compute units, {_info.GlobalMemory >> 20} MiB";
    public override AcceleratorKind Kind => AcceleratorKind.OpenCL;
    public OpenClDeviceInfo Info => _info;

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

    protected override KernelProgram BuildProgram(string file, IReadOnlyList<KeyValuePair<string, string>> defines, string kernel)
    {
        try { return OpenClProgramCache.Build(this, file, defines); }
        catch (OpenClException e) when (e.Call == "clBuildProgram")
        {
            throw new OpenClException("clBuildProgram", e.Status, $"building kernel {kernel}: {e.Message}");
        }
    }

    protected override ulong ArgumentOf(DeviceBuffer buffer) => (ulong)((OpenClBuffer)buffer).Handle;

    protected internal override void Launch(CompiledKernel kernel, in KernelArguments args, int groups0, int groups1, int local0, int local1)
    {
        for (int i = 0; i < args.Count; i++)
        {
            ulong v = args.Value(i);
            int status = OpenClApi.SetKernelArg(kernel.Handle, (uint)i, (nuint)args.Size(i), &v);
            if (status != 0) throw new OpenClException($"clSetKernelArg({kernel.Name}, arg {i})", status);
        }
        nuint* global = stackalloc nuint[] { (nuint)groups0 * (nuint)local0, (nuint)groups1 * (nuint)local1 };
        nuint* local = stackalloc nuint[] { (nuint)local0, (nuint)local1 };
        uint dims = groups1 == 1 && local1 == 1 ? 1u : 2u;
        int err = OpenClApi.EnqueueNDRangeKernel(_queue, kernel.Handle, dims, null, global, local, 0, null, null);
        if (err != 0)
            throw new OpenClException($"clEnqueueNDRangeKernel({kernel.Name})", err,
                dims == 1 ? $"global {global[0]}, local {local[0]}" : $"global {global[0]}x{global[1]}, local {local[0]}x{local[1]}");
    }

    public override void Dispose()
    {
        ReleaseKernels();
        if (_queue != 0) { OpenClApi.Finish(_queue); OpenClApi.ReleaseCommandQueue(_queue); _queue = 0; }
        if (_context != 0) { OpenClApi.ReleaseContext(_context); _context = 0; }
        base.Dispose();
    }
}

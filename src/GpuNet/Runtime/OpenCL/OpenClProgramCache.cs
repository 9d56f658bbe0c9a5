using System.Text;

namespace GpuNet.Runtime.OpenCL;

/// <summary>A built program and its kernels (created on first use).</summary>
internal sealed class OpenClProgram(OpenClAccelerator acc, nint handle, string file) : KernelProgram
{
    private readonly Dictionary<string, CompiledKernel> _kernels = [];

    public override unsafe CompiledKernel Kernel(string name)
    {
        if (_kernels.TryGetValue(name, out var k)) return k;
        int err;
        nint kernel;
        var bytes = Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes) kernel = OpenClApi.CreateKernel(handle, p, &err);
        if (err != 0) throw new OpenClException($"clCreateKernel({name})", err, $"no such kernel in kernels/{file}?");
        nuint max;
        OpenClApi.Check(OpenClApi.GetKernelWorkGroupInfo(kernel, acc.Info.Device, OpenClApi.KernelWorkGroupSize, (nuint)sizeof(nuint), &max, null), "clGetKernelWorkGroupInfo");
        return _kernels[name] = new CompiledKernel(kernel, name, (int)Math.Min((ulong)max, (ulong)acc.Info.MaxWorkGroupSize));
    }

    public override void Dispose()
    {
        foreach (var k in _kernels.Values) OpenClApi.ReleaseKernel(k.Handle);
        OpenClApi.ReleaseProgram(handle);
    }
}

/// <summary>
/// Builds programs from composed kernel sources, caching device binaries on disk (<see cref="KernelBinaryCache"/>,
/// folder <c>opencl</c>), keyed by a SHA-256 of the composed source,
/// build options, device name, device version and driver version, so any change to any of them rebuilds. An
/// unreadable or rejected cache entry is rebuilt from source.
/// </summary>
internal static unsafe class OpenClProgramCache
{
    private const string Options = "-cl-std=CL1.2";

    public static string Directory => KernelBinaryCache.Directory("opencl");

    /// <summary>Counts of builds from source and from cached binaries (for tests and diagnostics).</summary>
    public static int SourceBuilds, CachedBuilds;

    public static string Key(OpenClDeviceInfo d, string source) =>
        KernelBinaryCache.Key(source, Options, d.Name, d.DeviceVersion, d.DriverVersion, d.PlatformName);

    public static OpenClProgram Build(OpenClAccelerator acc, string file, IReadOnlyList<KeyValuePair<string, string>> defines)
    {
        string source = KernelSource.Compose(file, KernelDialect.OpenCL, defines);
        string path = Path.Combine(Directory, Key(acc.Info, source) + ".bin");
        if (KernelBinaryCache.TryRead(path) is { } cached)
        {
            var program = FromBinary(acc, cached);
            if (program != 0) { Interlocked.Increment(ref CachedBuilds); return new OpenClProgram(acc, program, file); }
        }
        var built = FromSource(acc, file, source);
        Interlocked.Increment(ref SourceBuilds);
        TrySave(built, path);
        return new OpenClProgram(acc, built, file);
    }

    private static nint FromSource(OpenClAccelerator acc, string file, string source)
    {
        var bytes = Encoding.UTF8.GetBytes(source);
        int err;
        nint program;
        fixed (byte* p = bytes)
        {
            byte* s = p;
            nuint len = (nuint)bytes.Length;
            program = OpenClApi.CreateProgramWithSource(acc.Context, 1, &s, &len, &err);
        }
        OpenClApi.Check(err, $"clCreateProgramWithSource(kernels/{file})");
        BuildOrThrow(acc, program, file);
        return program;
    }

    private static nint FromBinary(OpenClAccelerator acc, byte[] binary)
    {
        nint device = acc.Info.Device;
        int err, status;
        nint program;
        fixed (byte* b = binary)
        {
            nuint len = (nuint)binary.Length;
            program = OpenClApi.CreateProgramWithBinary(acc.Context, 1, &device, &len, &b, &status, &err);
        }
        if (err != 0 || status != 0) { if (program != 0) OpenClApi.ReleaseProgram(program); return 0; }
        var opts = Encoding.ASCII.GetBytes(Options + "\0");
        fixed (byte* o = opts)
            if (OpenClApi.BuildProgram(program, 1, &device, o, 0, 0) != 0) { OpenClApi.ReleaseProgram(program); return 0; }
        return program;
    }

    private static void BuildOrThrow(OpenClAccelerator acc, nint program, string file)
    {
        nint device = acc.Info.Device;
        var opts = Encoding.ASCII.GetBytes(Options + "\0");
        int status;
        fixed (byte* o = opts) status = OpenClApi.BuildProgram(program, 1, &device, o, 0, 0);
        if (status == 0) return;
        nuint size;
        OpenClApi.GetProgramBuildInfo(program, device, OpenClApi.ProgramBuildLog, 0, null, &size);
        var log = new byte[(int)size];
        fixed (byte* l = log) OpenClApi.GetProgramBuildInfo(program, device, OpenClApi.ProgramBuildLog, size, l, null);
        OpenClApi.ReleaseProgram(program);
        throw new OpenClException("clBuildProgram", status, $"kernels/{file} on {acc.Name} ({acc.Info.Name}):\n{Encoding.UTF8.GetString(log).TrimEnd('\0')}");
    }

    private static void TrySave(nint program, string path)
    {
        nuint size;
        if (OpenClApi.GetProgramInfo(program, OpenClApi.ProgramBinarySizes, (nuint)sizeof(nuint), &size, null) != 0 || size == 0) return;
        var binary = new byte[(int)size];
        fixed (byte* b = binary)
        {
            byte* ptr = b;
            if (OpenClApi.GetProgramInfo(program, OpenClApi.ProgramBinaries, (nuint)sizeof(nint), &ptr, null) != 0) return;
        }
        KernelBinaryCache.TryWrite(path, binary);
    }
}

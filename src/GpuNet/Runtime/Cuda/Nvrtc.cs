using System.Runtime.InteropServices;
using System.Text;

namespace GpuNet.Runtime.Cuda;

/// <summary>
/// P/Invoke bindings to NVRTC, CUDA's run-time compiler, found as <see cref="NativeLibraries.NvrtcCandidates"/> lists
/// ($GPUNET_NVRTC, $CUDA_PATH/lib64, the loader's path, /usr/local/cuda/lib64).
/// </summary>
internal static unsafe partial class Nvrtc
{
    private const string Lib = "nvrtc";

    static Nvrtc() => NativeLibraries.EnsureRegistered();

    [LibraryImport(Lib, EntryPoint = "nvrtcVersion")] private static partial int Version(int* major, int* minor);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetNumSupportedArchs")] private static partial int GetNumSupportedArchs(int* count);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetSupportedArchs")] private static partial int GetSupportedArchs(int* archs);
    [LibraryImport(Lib, EntryPoint = "nvrtcCreateProgram")] private static partial int CreateProgram(nint* program, byte* source, byte* name, int headers, byte** headerSources, byte** includeNames);
    [LibraryImport(Lib, EntryPoint = "nvrtcCompileProgram")] private static partial int CompileProgram(nint program, int count, byte** options);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLogSize")] private static partial int GetProgramLogSize(nint program, nuint* size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetProgramLog")] private static partial int GetProgramLog(nint program, byte* log);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBINSize")] private static partial int GetCubinSize(nint program, nuint* size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetCUBIN")] private static partial int GetCubin(nint program, byte* cubin);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTXSize")] private static partial int GetPtxSize(nint program, nuint* size);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetPTX")] private static partial int GetPtx(nint program, byte* ptx);
    [LibraryImport(Lib, EntryPoint = "nvrtcDestroyProgram")] private static partial int DestroyProgram(nint* program);
    [LibraryImport(Lib, EntryPoint = "nvrtcGetErrorString")] private static partial byte* GetErrorString(int result);

    private static readonly Lazy<(string? Version, int[] Archs, string? Why)> Probe = new(() =>
    {
        try
        {
            int major, minor, count;
            Check(Version(&major, &minor), "nvrtcVersion");
            Check(GetNumSupportedArchs(&count), "nvrtcGetNumSupportedArchs");
            var archs = new int[count];
            fixed (int* a = archs) Check(GetSupportedArchs(a), "nvrtcGetSupportedArchs");
            return ($"{major}.{minor}", archs, null);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return (null, [], "NVRTC (CUDA's run-time compiler) was not found; tried " + string.Join(", ", NativeLibraries.NvrtcCandidates()) +
                ". Install the CUDA toolkit's nvrtc package or set GPUNET_NVRTC to libnvrtc.so's path");
        }
    });

    /// <summary>NVRTC's version ("13.0"), or null when it is missing (<see cref="WhyUnavailable"/>).</summary>
    public static string? VersionString => Probe.Value.Version;
    /// <summary>The SM architectures NVRTC can compile for (75 = sm_75, …).</summary>
    public static IReadOnlyList<int> SupportedArchs => Probe.Value.Archs;
    public static string? WhyUnavailable => Probe.Value.Why;

    /// <summary>
    /// The target for a device of compute capability <paramref name="cc"/> (90 for 9.0): its own sm_XY as a cubin when
    /// NVRTC supports it, else PTX for the newest architecture NVRTC knows below it (the driver compiles that PTX on load).
    /// </summary>
    public static (string Option, bool Cubin) Target(int cc, IReadOnlyList<int> supported)
    {
        if (supported.Contains(cc)) return ($"--gpu-architecture=sm_{cc}", true);
        var below = supported.Where(a => a < cc).ToList();
        if (below.Count == 0)
            throw new CudaException($"this NVRTC compiles for sm_{string.Join(", sm_", supported)}; the device is sm_{cc}, older than all of them: use an NVRTC from an older CUDA toolkit (GPUNET_NVRTC)");
        return ($"--gpu-architecture=compute_{below.Max()}", false);
    }

    /// <summary>Compiles CUDA C++ to a cubin (or PTX, see <see cref="Target"/>); a failure throws with the log.</summary>
    public static byte[] Compile(string source, string name, IReadOnlyList<string> options, bool cubin, string kernel)
    {
        if (WhyUnavailable is { } why) throw new CudaException(why);
        nint program;
        var src = Encoding.UTF8.GetBytes(source + "\0");
        var nm = Encoding.UTF8.GetBytes(name + "\0");
        fixed (byte* s = src, n = nm) Check(CreateProgram(&program, s, n, 0, null, null), "nvrtcCreateProgram");
        try
        {
            var opts = options.Select(o => Marshal.StringToHGlobalAnsi(o)).ToArray();
            int status;
            try
            {
                fixed (nint* o = opts) status = CompileProgram(program, opts.Length, (byte**)o);
            }
            finally { foreach (var o in opts) Marshal.FreeHGlobal(o); }
            if (status != 0)
                throw new CudaException($"NVRTC could not compile {name} (asked for kernel {kernel}) with {string.Join(" ", options)}: " +
                    $"{Describe(status)}\n{Log(program)}");
            nuint size;
            Check(cubin ? GetCubinSize(program, &size) : GetPtxSize(program, &size), cubin ? "nvrtcGetCUBINSize" : "nvrtcGetPTXSize");
            var image = new byte[(int)size];
            fixed (byte* b = image) Check(cubin ? GetCubin(program, b) : GetPtx(program, b), cubin ? "nvrtcGetCUBIN" : "nvrtcGetPTX");
            return image;
        }
        finally { DestroyProgram(&program); }
    }

    private static string Log(nint program)
    {
        nuint size;
        if (GetProgramLogSize(program, &size) != 0 || size <= 1) return "(no log)";
        var log = new byte[(int)size];
        fixed (byte* l = log) GetProgramLog(program, l);
        return Encoding.UTF8.GetString(log).TrimEnd('\0').TrimEnd();
    }

    private static string Describe(int result) => GetErrorString(result) is var p && p is not null ? Marshal.PtrToStringUTF8((nint)p)! : $"NVRTC error {result}";

    private static void Check(int result, string call)
    {
        if (result != 0) throw new CudaException($"{call} failed with {Describe(result)}");
    }
}

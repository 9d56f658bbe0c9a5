using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuNet.Runtime;

/// <summary>
/// The one DllImport resolver of this assembly (an assembly gets only one): maps each native library name used in
/// [LibraryImport] to the file names tried in order, e.g. OpenCL → libOpenCL.so.1, libOpenCL.so.
/// </summary>
internal static class NativeLibraries
{
    private static readonly Dictionary<string, Func<string[]>> Candidates = new()
    {
        ["OpenCL"] = () => ["libOpenCL.so.1", "libOpenCL.so", "OpenCL"],
        ["turbojpeg"] = () => ["libturbojpeg.so.0", "libturbojpeg.so", "turbojpeg"],
        // GPUNET_CUDA_DRIVER: another libcuda (CUDA's forward-compatibility package, or the tests' CPU emulation)
        ["cuda"] = () => [.. Environment.GetEnvironmentVariable("GPUNET_CUDA_DRIVER") is { Length: > 0 } d ? [d] : Array.Empty<string>(), "libcuda.so.1", "libcuda.so", "nvcuda"],
        ["nvrtc"] = NvrtcCandidates,
    };

    /// <summary>
    /// Where NVRTC is looked for, in order: $GPUNET_NVRTC (a file), $CUDA_PATH/lib64, the loader's search path, then
    /// /usr/local/cuda/lib64 — newest major version first (NVRTC's file name carries it).
    /// </summary>
    public static string[] NvrtcCandidates()
    {
        string[] names = ["libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"];
        var list = new List<string>();
        if (Environment.GetEnvironmentVariable("GPUNET_NVRTC") is { Length: > 0 } file) list.Add(file);
        if (Environment.GetEnvironmentVariable("CUDA_PATH") is { Length: > 0 } cudaPath) list.AddRange(names.Select(n => Path.Combine(cudaPath, "lib64", n)));
        list.AddRange(names);
        list.AddRange(names.Select(n => Path.Combine("/usr/local/cuda/lib64", n)));
        return [.. list];
    }
    private static readonly Dictionary<string, nint> Loaded = new();
    private static readonly Lazy<bool> Registered = new(() =>
    {
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        return true;
    });

    /// <summary>Installs the resolver once; every binding class calls this from its static constructor.</summary>
    public static void EnsureRegistered() => _ = Registered.Value;

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (!Candidates.TryGetValue(name, out var candidates)) return 0;
        var files = candidates();
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var h)) return h;
            foreach (var file in files)
                if (NativeLibrary.TryLoad(file, assembly, path, out h)) { Loaded[name] = h; return h; }
            return 0;
        }
    }
}

using System.Runtime.InteropServices;
using System.Runtime.Loader;

namespace GpuNet.Runtime;

/// <summary>
/// The native library names GpuNet and ILGPU import, mapped to the files distributions ship. Linux .NET probes an
/// import <c>X</c> as <c>libX.so</c>, a name that exists only with -dev packages; the runtime packages have
/// <c>libturbojpeg.so.0</c>, <c>libcuda.so.1</c> (the NVIDIA driver) and <c>libOpenCL.so.1</c> (the ICD loader).
/// </summary>
internal static class NativeLibraries
{
    private static readonly Dictionary<string, string[]> Candidates = new(StringComparer.OrdinalIgnoreCase)
    {
        ["turbojpeg"] = ["libturbojpeg.so.0", "libturbojpeg.so", "turbojpeg"],
        // ILGPU's imports of the CUDA driver and OpenCL
        ["cuda"] = ["libcuda.so.1", "libcuda.so"],
        ["nvcuda"] = ["libcuda.so.1", "libcuda.so"],
        ["OpenCL"] = ["libOpenCL.so.1", "libOpenCL.so"],
        // the C library: raw directory listings for file names that are not UTF-8 (Data/FileNames)
        ["c"] = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"],
    };
    private static readonly Dictionary<string, nint> Loaded = new();
    private static readonly Lazy<bool> Registered = new(() =>
    {
        // this assembly's [LibraryImport]s (an assembly gets one resolver) ...
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, (name, _, _) => Resolve(name));
        // ... and everyone else's, ILGPU's included, when the default probing fails
        AssemblyLoadContext.Default.ResolvingUnmanagedDll += (_, name) => Resolve(name);
        return true;
    });

    /// <summary>
    /// Installs the resolvers once; binding classes and the ILGPU context call this before their first import.
    /// </summary>
    public static void EnsureRegistered() => _ = Registered.Value;

    // loads by file name (dlopen's own search): an overload that takes the assembly would raise the resolving event
    // again for a file that is missing
    private static nint Resolve(string name)
    {
        string key = Path.GetFileName(name);
        if (key.StartsWith("lib", StringComparison.Ordinal)) key = key[3..];
        int dot = key.IndexOf(".so", StringComparison.Ordinal);
        if (dot > 0) key = key[..dot];
        if (!Candidates.TryGetValue(key, out var files)) return 0;
        lock (Loaded)
        {
            if (Loaded.TryGetValue(key, out var h)) return h;
            foreach (var file in files)
                if (NativeLibrary.TryLoad(file, out h)) { Loaded[key] = h; return h; }
            return 0;
        }
    }
}

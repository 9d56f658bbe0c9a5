using System.Reflection;
using System.Runtime.InteropServices;

namespace GpuNet.Runtime;

/// <summary>
/// The one DllImport resolver of this assembly (an assembly gets only one): maps each native library name used in
/// [LibraryImport] to the file names tried in order, e.g. OpenCL → libOpenCL.so.1, libOpenCL.so.
/// </summary>
internal static class NativeLibraries
{
    private static readonly Dictionary<string, string[]> Candidates = new()
    {
        ["OpenCL"] = ["libOpenCL.so.1", "libOpenCL.so", "OpenCL"],
        ["turbojpeg"] = ["libturbojpeg.so.0", "libturbojpeg.so", "turbojpeg"],
    };
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
        if (!Candidates.TryGetValue(name, out var files)) return 0;
        lock (Loaded)
        {
            if (Loaded.TryGetValue(name, out var h)) return h;
            foreach (var file in files)
                if (NativeLibrary.TryLoad(file, assembly, path, out h)) { Loaded[name] = h; return h; }
            return 0;
        }
    }
}

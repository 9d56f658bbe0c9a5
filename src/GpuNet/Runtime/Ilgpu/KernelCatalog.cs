using System.Reflection;
using GpuNet.Kernels;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace GpuNet.Runtime.Ilgpu;

/// <summary>
/// The kernels of kernels/ (the <c>GpuNet.Kernels</c> assembly): every public static void method of its public static
/// classes named <c>…Kernels</c>. A kernel's name is its accelerator op's name (<c>ReluForward</c>) or, for the few
/// helpers, its own (<c>Conv2dIm2col</c>); <see cref="IlgpuAccelerator.LaunchLog"/> records these names, so
/// <c>gpunet doctor</c> can say which kernels no check reached. <see cref="Ptx"/> compiles one to PTX without a GPU.
/// </summary>
public static class KernelCatalog
{
    private static readonly Dictionary<CudaArchitecture, PTXBackend> Backends = [];

    /// <summary>Every kernel, ordered by name (names are unique across the kernel classes).</summary>
    public static IReadOnlyList<MethodInfo> Kernels { get; } = Find();

    /// <summary>The kernels' names, ordered.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Kernels.Select(k => k.Name)];

    /// <summary>The kernel called <paramref name="name"/>.</summary>
    public static MethodInfo Get(string name) =>
        Kernels.FirstOrDefault(k => k.Name == name)
        ?? throw new ArgumentException($"no kernel '{name}' in {typeof(GemmKernels).Assembly.GetName().Name}; " +
                                       $"the kernels are: {string.Join(", ", Names)}");

    private static List<MethodInfo> Find()
    {
        var kernels = typeof(GemmKernels).Assembly.GetExportedTypes()
            .Where(t => t.IsAbstract && t.IsSealed && t.Name.EndsWith("Kernels", StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.ReturnType == typeof(void))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        // the launch log records method names: two kernels of one name would be one entry
        var twice = kernels.GroupBy(m => m.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (twice.Count > 0)
            throw new InvalidOperationException(
                $"kernel names must be unique; defined twice: {string.Join(", ", twice)}");
        return kernels;
    }

    /// <summary>
    /// The PTX that ILGPU emits for <paramref name="kernel"/> (an explicitly grouped kernel of this catalogue) for a
    /// GPU of <paramref name="architecture"/>, through the process's context (O2), without a GPU or a driver: tests
    /// check that every kernel compiles for CUDA and read the code (local memory, say). ILGPU 1.5.3 writes
    /// <c>.target</c> of at most sm_80 (sm_90 asked gives sm_80; the driver compiles that PTX for newer GPUs).
    /// One backend per architecture is kept for the process, like the context.
    /// </summary>
    public static string Ptx(MethodInfo kernel, CudaArchitecture architecture)
    {
        lock (Backends)
        {
            if (!Backends.TryGetValue(architecture, out var backend))
                // PTX ISA 8.0 (CUDA 12.0 drivers) covers every .target ILGPU writes; null: no NVVM, ILGPU's own
                // code generator
                Backends[architecture] = backend = new PTXBackend(IlgpuDevices.Context, architecture,
                    CudaInstructionSet.ISA_80, null!);
            var compiled = backend.Compile(EntryPointDescription.FromExplicitlyGroupedKernel(kernel),
                KernelSpecialization.Empty);
            return ((PTXCompiledKernel)compiled).PTXAssembly;
        }
    }
}

using System.Runtime.InteropServices;
using ILGPU;
using ILGPU.Backends.OpenCL;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuNet.Runtime.Ilgpu;

/// <summary>
/// The ILGPU devices of this machine: CUDA GPUs, OpenCL devices ILGPU can use, and ILGPU's CPU accelerator; one ILGPU
/// context for the process, created on first use (after the native-library resolver is installed).
/// </summary>
public static class IlgpuDevices
{
    private static readonly List<string> Rejected = [];
    private static readonly Lazy<Context> Shared = new(Create);

    /// <summary>
    /// The simulated device of ILGPU's CPU accelerator: 2 warps of 2 threads, one multiprocessor. Each simulated thread
    /// is an OS thread, so a small shape keeps the kernels' tests fast on two cores.
    /// </summary>
    public static CPUDevice SimulatedCpu { get; } = new(numThreadsPerWarp: 2, numWarpsPerMultiprocessor: 2,
        numMultiprocessors: 1);

    /// <summary>The process's ILGPU context (CPU, CUDA and usable OpenCL devices; ILGPU.Algorithms; O2).</summary>
    public static Context Context => Shared.Value;

    private static Context Create()
    {
        NativeLibraries.EnsureRegistered();
        return Context.Create(b => b.CPU(SimulatedCpu).Cuda().OpenCL(Usable)
            .EnableAlgorithms().Optimize(OptimizationLevel.O2));
    }

    // ILGPU's OpenCL backend needs OpenCL C 2.0 with the generic address space; others are listed with the reason
    private static bool Usable(CLDevice d)
    {
        string why = !d.Capabilities.GenericAddressSpace ? "lacks the generic address space ILGPU needs"
            : d.CVersion < CLCVersion.CL20 ? $"supports only OpenCL C {d.CVersion}; ILGPU needs 2.0 or newer" : "";
        if (why.Length > 0) lock (Rejected) Rejected.Add($"{d.Name.Trim()} ({d.DeviceVersion}): {why}");
        return why.Length == 0;
    }

    public static IReadOnlyList<CudaDevice> Cuda => [.. Context.GetCudaDevices()];
    public static IReadOnlyList<CLDevice> OpenCL => [.. Context.GetCLDevices()];

    /// <summary>OpenCL devices found but not usable by ILGPU, each with the reason.</summary>
    public static IReadOnlyList<string> OpenClRejected
    {
        get { _ = Context; lock (Rejected) return [.. Rejected]; }
    }

    /// <summary>Why no CUDA device is usable (what to install); null when there is one.</summary>
    public static string? CudaUnavailable =>
        Cuda.Count > 0 ? null
        : !NativeLibrary.TryLoad("libcuda.so.1", out var h)
            ? "no NVIDIA driver: libcuda.so.1 was not found; install the NVIDIA driver (no CUDA toolkit is needed)"
            : Free(h, "the NVIDIA driver reports no GPU ILGPU can use");

    /// <summary>Why no OpenCL device is usable (what to install); null when there is one.</summary>
    public static string? OpenClUnavailable =>
        OpenCL.Count > 0 ? null
        : !NativeLibrary.TryLoad("libOpenCL.so.1", out var h)
            ? "no OpenCL loader: libOpenCL.so.1 was not found; install ocl-icd-libopencl1 and a driver for your device"
            : Free(h, OpenClRejected.Count > 0
                ? "no OpenCL device ILGPU can use: " + string.Join("; ", OpenClRejected)
                : "the OpenCL loader finds no device; install a driver (an ICD) for your GPU");

    private static string Free(nint handle, string why)
    {
        NativeLibrary.Free(handle);
        return why;
    }

    /// <summary>ILGPU's CPU accelerator running the GPU kernels thread by thread.</summary>
    public static IlgpuAccelerator OpenCpu(string name = "ilgpu-cpu")
    {
        var device = Context.GetCPUDevice(0).CreateCPUAccelerator(Context);
        int threads = device.MaxNumThreadsPerGroup;
        return new IlgpuAccelerator(device, name, AcceleratorKind.IlgpuCpu,
            new LaunchShape(Local: threads, MaxGroups: Math.Max(1, device.NumMultiprocessors), ReductionLocal: threads,
                GemmTiling.Cpu));
    }

    /// <summary>The CUDA GPU <paramref name="index"/> as ILGPU lists it.</summary>
    public static IlgpuAccelerator OpenCuda(int index, string? name = null)
    {
        var all = Cuda;
        if (all.Count == 0)
            throw new ArgumentException($"CUDA is unavailable: {CudaUnavailable}; available: {Available}");
        if (index < 0 || index >= all.Count)
            throw new ArgumentException($"there is no cuda:{index}; this machine has cuda:0 to cuda:{all.Count - 1}");
        var device = all[index].CreateCudaAccelerator(Context);
        return new IlgpuAccelerator(device, name ?? $"cuda:{index}", AcceleratorKind.Cuda, GpuShape(device));
    }

    /// <summary>The usable OpenCL device <paramref name="index"/> as ILGPU lists it.</summary>
    public static IlgpuAccelerator OpenOpenCl(int index, string? name = null)
    {
        var all = OpenCL;
        if (all.Count == 0)
            throw new ArgumentException($"OpenCL is unavailable: {OpenClUnavailable}; available: {Available}");
        if (index < 0 || index >= all.Count)
            throw new ArgumentException(
                $"there is no opencl:{index}; this machine has opencl:0 to opencl:{all.Count - 1}");
        var device = all[index].CreateCLAccelerator(Context);
        return new IlgpuAccelerator(device, name ?? $"opencl:{index}", AcceleratorKind.OpenCL, GpuShape(device));
    }

    private static LaunchShape GpuShape(ILGPU.Runtime.Accelerator device)
    {
        int local = Math.Min(256, device.MaxNumThreadsPerGroup);
        var gemm = GemmTiling.Gpu.ThreadsX * GemmTiling.Gpu.ThreadsY <= device.MaxNumThreadsPerGroup
            ? GemmTiling.Gpu : new GemmTiling(8, 8, 16);
        return new LaunchShape(local, Math.Max(1, device.NumMultiprocessors) * 8, Math.Min(128, local), gemm);
    }

    private static string Available => string.Join(", ", Devices.Available());
}

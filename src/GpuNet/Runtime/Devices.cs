using GpuNet.Runtime.Cpu;
using GpuNet.Runtime.Cuda;
using GpuNet.Runtime.OpenCL;

namespace GpuNet.Runtime;

/// <summary>
/// Opens accelerators by the names users type: <c>cpu</c> (all cores), <c>cpu:T</c> (T threads), <c>opencl</c> or
/// <c>opencl:i</c> (the i-th OpenCL device across platforms, as <c>gpunet devices</c> lists them), <c>cuda</c> or
/// <c>cuda:i</c> (the i-th CUDA device).
/// </summary>
public static class Devices
{
    public static Accelerator Open(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return new CpuAccelerator();
        if (n == "ilgpu-cpu") return Ilgpu.IlgpuDevices.OpenCpu();
        if (n.StartsWith("cpu:") && int.TryParse(n[4..], out int threads) && threads > 0) return new CpuAccelerator(threads, n);
        if (n == "opencl") return new OpenClAccelerator(0);
        if (n.StartsWith("opencl:") && int.TryParse(n[7..], out int index)) return new OpenClAccelerator(index);
        if (n == "cuda") return new CudaAccelerator(0);
        if (n.StartsWith("cuda:") && int.TryParse(n[5..], out int gpu)) return new CudaAccelerator(gpu);
        throw new ArgumentException($"unknown device '{name}'; available: {string.Join(", ", Available())} (cpu:T picks T threads)");
    }

    /// <summary>
    /// Two accelerators for a split model, from "A,B": any two device names; "cpu,cpu" gives two CPU accelerators with
    /// half the cores each (each with its own memory accounting); "cuda:0,cuda:0" two accelerators on one GPU, each
    /// with its own stream and memory pool, named cuda:0#0 and cuda:0#1.
    /// </summary>
    public static (Accelerator First, Accelerator Second) OpenPair(string spec)
    {
        var parts = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2) throw new ArgumentException($"--devices takes two devices, e.g. cpu,cpu or opencl:0,opencl:1; got '{spec}'");
        if (parts.All(p => p.Equals("cpu", StringComparison.OrdinalIgnoreCase)))
        {
            int half = Math.Max(1, Environment.ProcessorCount / 2);
            return (new CpuAccelerator(half, "cpu#0"), new CpuAccelerator(half, "cpu#1"));
        }
        string a = parts[0].ToLowerInvariant(), b = parts[1].ToLowerInvariant();
        if (a == "ilgpu-cpu" && b == "ilgpu-cpu")
        {
            var cpu0 = Ilgpu.IlgpuDevices.OpenCpu("ilgpu-cpu#0");
            try { return (cpu0, Ilgpu.IlgpuDevices.OpenCpu("ilgpu-cpu#1")); }
            catch { cpu0.Dispose(); throw; }
        }
        if (a == "cuda") a = "cuda:0";
        if (b == "cuda") b = "cuda:0";
        if (a == b && a.StartsWith("cuda:") && int.TryParse(a[5..], out int gpu))
        {
            var one = new CudaAccelerator(gpu, a + "#0");
            try { return (one, new CudaAccelerator(gpu, a + "#1")); }
            catch { one.Dispose(); throw; }
        }
        var first = Open(parts[0]);
        try { return (first, Open(parts[1])); }
        catch { first.Dispose(); throw; }
    }

    /// <summary>Names of the accelerators this machine offers.</summary>
    public static IReadOnlyList<string> Available() =>
        ["cpu", "ilgpu-cpu", .. OpenClDevices.All.Select(d => $"opencl:{d.Index}"), .. CudaDevices.All.Select(d => $"cuda:{d.Index}")];

    /// <summary>Why OpenCL devices are missing, if they are (what to install); null when there are some.</summary>
    public static string? OpenClUnavailable => OpenClDevices.WhyUnavailable;

    /// <summary>Why CUDA devices are missing, if they are (what to install); null when there are some.</summary>
    public static string? CudaUnavailable => CudaDevices.WhyUnavailable;

    /// <summary>One line per backend without devices: "OpenCL: why", "CUDA: why".</summary>
    public static IEnumerable<string> Unavailable()
    {
        if (OpenClUnavailable is { } cl) yield return $"OpenCL: {cl}";
        if (CudaUnavailable is { } cu) yield return $"CUDA: {cu}";
    }

    /// <summary>One accelerator of each available device, for listing.</summary>
    public static IEnumerable<Accelerator> All()
    {
        foreach (var name in Available()) yield return Open(name);
    }
}

using GpuNet.Runtime.Cpu;
using GpuNet.Runtime.Ilgpu;

namespace GpuNet.Runtime;

/// <summary>
/// Opens accelerators by the names users type: <c>cpu</c> (the managed CPU accelerator, all cores), <c>cpu:T</c>
/// (T threads), <c>cuda</c> or <c>cuda:i</c> (ILGPU's CUDA accelerator on GPU i), <c>opencl</c> or <c>opencl:i</c>
/// (ILGPU's OpenCL accelerator on the i-th OpenCL 2.0+ device), <c>ilgpu-cpu</c> (ILGPU's CPU accelerator: the GPU
/// kernels executed on the CPU, for tests and kernel debugging).
/// </summary>
public static class Devices
{
    public static Accelerator Open(string name) => Open(name, null);

    private static Accelerator Open(string name, string? rename)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return new CpuAccelerator(0, rename ?? "cpu");
        if (n.StartsWith("cpu:") && int.TryParse(n[4..], out int threads) && threads > 0)
            return new CpuAccelerator(threads, rename ?? n);
        if (n == "ilgpu-cpu") return IlgpuDevices.OpenCpu(rename ?? n);
        if (n == "cuda") return IlgpuDevices.OpenCuda(0, rename);
        if (n.StartsWith("cuda:") && int.TryParse(n[5..], out int gpu)) return IlgpuDevices.OpenCuda(gpu, rename);
        if (n == "opencl") return IlgpuDevices.OpenOpenCl(0, rename);
        if (n.StartsWith("opencl:") && int.TryParse(n[7..], out int index))
            return IlgpuDevices.OpenOpenCl(index, rename);
        throw new ArgumentException($"unknown device '{name}'; available: {string.Join(", ", Available())} " +
                                    "(cpu:T picks T threads)");
    }

    /// <summary>
    /// Two accelerators for a split model, from "A,B": any two device names. "cpu,cpu" gives two CPU accelerators with
    /// half the cores each; the same device twice ("cuda:0,cuda:0", "ilgpu-cpu,ilgpu-cpu") gives two accelerators on
    /// it, each with its own stream and memory, named NAME#0 and NAME#1.
    /// </summary>
    public static (Accelerator First, Accelerator Second) OpenPair(string spec)
    {
        var parts = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
            throw new ArgumentException($"--devices takes two devices, e.g. cpu,cpu or cuda:0,cuda:1; got '{spec}'");
        string a = Canonical(parts[0]), b = Canonical(parts[1]);
        if (a == "cpu" && b == "cpu")
        {
            int half = Math.Max(1, Environment.ProcessorCount / 2);
            return (new CpuAccelerator(half, "cpu#0"), new CpuAccelerator(half, "cpu#1"));
        }
        bool same = a == b;
        var first = Open(a, same ? a + "#0" : null);
        try { return (first, Open(b, same ? b + "#1" : null)); }
        catch { first.Dispose(); throw; }
    }

    /// <summary>
    /// The devices of a run: <paramref name="device"/> alone, or the pair <paramref name="pair"/> ("A,B") when given
    /// (the two-tower split). Every command that takes --device and --devices opens them here.
    /// </summary>
    public static Accelerator[] OpenRun(string device, string? pair)
    {
        if (pair is null) return [Open(device)];
        var (a, b) = OpenPair(pair);
        return [a, b];
    }

    private static string Canonical(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        return n switch { "cuda" => "cuda:0", "opencl" => "opencl:0", _ => n };
    }

    /// <summary>Names of the accelerators this machine offers.</summary>
    public static IReadOnlyList<string> Available() =>
    [
        "cpu", .. IlgpuDevices.Cuda.Select((_, i) => $"cuda:{i}"), .. IlgpuDevices.OpenCL.Select((_,
            i) => $"opencl:{i}"),
        "ilgpu-cpu",
    ];

    /// <summary>Why no OpenCL device is usable (what to install); null when there is one.</summary>
    public static string? OpenClUnavailable => IlgpuDevices.OpenClUnavailable;

    /// <summary>Why no CUDA device is usable (what to install); null when there is one.</summary>
    public static string? CudaUnavailable => IlgpuDevices.CudaUnavailable;

    /// <summary>
    /// One line per backend without devices ("CUDA: why", "OpenCL: why"), and each OpenCL device ILGPU cannot use.
    /// </summary>
    public static IEnumerable<string> Unavailable()
    {
        if (CudaUnavailable is { } cu) yield return $"CUDA: {cu}";
        if (OpenClUnavailable is { } cl) yield return $"OpenCL: {cl}";
        else foreach (var r in IlgpuDevices.OpenClRejected) yield return $"OpenCL device not usable: {r}";
    }

    /// <summary>One accelerator of each available device, for listing.</summary>
    public static IEnumerable<Accelerator> All()
    {
        foreach (var name in Available()) yield return Open(name);
    }
}

using GpuNet.Runtime.Cpu;

namespace GpuNet.Runtime;

/// <summary>Opens accelerators by the names users type: <c>cpu</c> (all cores), <c>cpu:T</c> (T threads).</summary>
public static class Devices
{
    public static Accelerator Open(string name)
    {
        string n = name.Trim().ToLowerInvariant();
        if (n == "cpu") return new CpuAccelerator();
        if (n.StartsWith("cpu:") && int.TryParse(n[4..], out int threads) && threads > 0) return new CpuAccelerator(threads, n);
        if (n.StartsWith("opencl") || n.StartsWith("cuda"))
            throw new ArgumentException($"device '{name}': the {(n.StartsWith("cuda") ? "CUDA" : "OpenCL")} accelerator is not part of this build yet; available: {string.Join(", ", Available())}");
        throw new ArgumentException($"unknown device '{name}'; available: {string.Join(", ", Available())} (cpu:T picks T threads)");
    }

    /// <summary>Names of the accelerators this machine offers.</summary>
    public static IReadOnlyList<string> Available() => ["cpu"];

    /// <summary>One accelerator of each available device, for listing.</summary>
    public static IEnumerable<Accelerator> All()
    {
        foreach (var name in Available()) yield return Open(name);
    }
}

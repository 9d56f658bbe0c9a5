using System.Text;

namespace GpuNet.Runtime.Cuda;

/// <summary>One CUDA device as the driver reports it (cuda:0, cuda:1, …).</summary>
public sealed record CudaDeviceInfo(int Index, string Name, int ComputeCapability, int Multiprocessors, long TotalMemory,
    int MaxThreadsPerBlock, int MaxGridDimY, string DriverVersion)
{
    /// <summary>"9.0" for compute capability 90.</summary>
    public string ComputeCapabilityString => $"{ComputeCapability / 10}.{ComputeCapability % 10}";
}

public static unsafe class CudaDevices
{
    private static readonly Lazy<(IReadOnlyList<CudaDeviceInfo> Devices, string? Why)> Found = new(Enumerate);

    /// <summary>Every CUDA device; empty when there is no driver or no GPU (see <see cref="WhyUnavailable"/>).</summary>
    public static IReadOnlyList<CudaDeviceInfo> All => Found.Value.Devices;

    /// <summary>Why there is no CUDA device, with what to install; null when there is one.</summary>
    public static string? WhyUnavailable => Found.Value.Why;

    private static (IReadOnlyList<CudaDeviceInfo>, string?) Enumerate()
    {
        int status;
        try { status = CudaApi.Init(0); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return ([], "no CUDA driver: libcuda.so.1 was not found; install the NVIDIA driver (CUDA needs an NVIDIA GPU)");
        }
        if (status == 100) return ([], "the CUDA driver is installed but finds no GPU (CUDA_ERROR_NO_DEVICE)");
        if (status != 0) return ([], $"the CUDA driver did not start: cuInit failed with {CudaApi.Describe(status)}");
        int count, version;
        CudaApi.Check(CudaApi.DeviceGetCount(&count), "cuDeviceGetCount");
        CudaApi.Check(CudaApi.DriverGetVersion(&version), "cuDriverGetVersion");
        string driver = $"{version / 1000}.{version % 1000 / 10}";
        var list = new List<CudaDeviceInfo>();
        for (int i = 0; i < count; i++)
        {
            int dev;
            CudaApi.Check(CudaApi.DeviceGet(&dev, i), "cuDeviceGet");
            var name = new byte[256];
            fixed (byte* n = name) CudaApi.Check(CudaApi.DeviceGetName(n, name.Length, dev), "cuDeviceGetName");
            nuint total;
            CudaApi.Check(CudaApi.DeviceTotalMem(&total, dev), "cuDeviceTotalMem");
            list.Add(new CudaDeviceInfo(i, Encoding.UTF8.GetString(name).TrimEnd('\0'),
                CudaApi.Attribute(dev, CudaApi.AttrComputeCapabilityMajor) * 10 + CudaApi.Attribute(dev, CudaApi.AttrComputeCapabilityMinor),
                CudaApi.Attribute(dev, CudaApi.AttrMultiprocessorCount), (long)total,
                CudaApi.Attribute(dev, CudaApi.AttrMaxThreadsPerBlock), CudaApi.Attribute(dev, CudaApi.AttrMaxGridDimY), driver));
        }
        return list.Count == 0 ? ([], "the CUDA driver reports no device") : (list, null);
    }
}

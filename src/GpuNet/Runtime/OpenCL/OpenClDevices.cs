namespace GpuNet.Runtime.OpenCL;

/// <summary>One OpenCL device as found on this machine, numbered across all platforms (opencl:0, opencl:1, …).</summary>
public sealed record OpenClDeviceInfo(int Index, nint Platform, nint Device, string Name, string Vendor, string PlatformName,
    string DriverVersion, string DeviceVersion, bool IsCpu, int ComputeUnits, long GlobalMemory, long MaxAllocation,
    long LocalMemory, int MaxWorkGroupSize);

public static unsafe class OpenClDevices
{
    private static IReadOnlyList<OpenClDeviceInfo>? _devices;
    private static string? _unavailable;

    /// <summary>Every OpenCL device of every platform; empty when OpenCL is unavailable (see <see cref="WhyUnavailable"/>).</summary>
    public static IReadOnlyList<OpenClDeviceInfo> All
    {
        get
        {
            if (_devices is null) (_devices, _unavailable) = Enumerate();
            return _devices;
        }
    }

    /// <summary>Why there is no OpenCL device, with what to install; null when there is one.</summary>
    public static string? WhyUnavailable { get { _ = All; return _unavailable; } }

    private static (IReadOnlyList<OpenClDeviceInfo>, string?) Enumerate()
    {
        if (!OpenClApi.LoaderPresent)
            return ([], "no OpenCL runtime: libOpenCL.so.1 was not found; install ocl-icd-libopencl1 and a driver (pocl-opencl-icd runs on the CPU)");
        uint count;
        int status = OpenClApi.GetPlatformIDs(0, null, &count);
        if (status == -1001 || count == 0)
            return ([], "no OpenCL platform: the loader is installed but no driver is; install pocl-opencl-icd (CPU) or your GPU vendor's OpenCL driver");
        OpenClApi.Check(status, "clGetPlatformIDs");
        var platforms = new nint[count];
        fixed (nint* p = platforms) OpenClApi.Check(OpenClApi.GetPlatformIDs(count, p, null), "clGetPlatformIDs");
        var list = new List<OpenClDeviceInfo>();
        foreach (var platform in platforms)
        {
            uint n;
            if (OpenClApi.GetDeviceIDs(platform, OpenClApi.DeviceTypeAll, 0, null, &n) != 0 || n == 0) continue;
            var devices = new nint[n];
            fixed (nint* d = devices) OpenClApi.Check(OpenClApi.GetDeviceIDs(platform, OpenClApi.DeviceTypeAll, n, d, null), "clGetDeviceIDs");
            string platformName = OpenClApi.InfoString(platform, OpenClApi.PlatformName, device: false);
            foreach (var d in devices)
                list.Add(new OpenClDeviceInfo(list.Count, platform, d,
                    OpenClApi.InfoString(d, OpenClApi.DeviceName, true), OpenClApi.InfoString(d, OpenClApi.DeviceVendor, true), platformName,
                    OpenClApi.InfoString(d, OpenClApi.DriverVersion, true), OpenClApi.InfoString(d, OpenClApi.DeviceVersion, true),
                    (OpenClApi.DeviceInfo<ulong>(d, OpenClApi.DeviceType) & OpenClApi.DeviceTypeCpu) != 0,
                    (int)OpenClApi.DeviceInfo<uint>(d, OpenClApi.DeviceMaxComputeUnits),
                    (long)OpenClApi.DeviceInfo<ulong>(d, OpenClApi.DeviceGlobalMemSize),
                    (long)OpenClApi.DeviceInfo<ulong>(d, OpenClApi.DeviceMaxMemAllocSize),
                    (long)OpenClApi.DeviceInfo<ulong>(d, OpenClApi.DeviceLocalMemSize),
                    (int)OpenClApi.DeviceInfo<nuint>(d, OpenClApi.DeviceMaxWorkGroupSize)));
        }
        return list.Count == 0 ? ([], "OpenCL platforms exist but expose no device") : (list, null);
    }
}

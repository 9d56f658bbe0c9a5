using System.Runtime.InteropServices;

namespace GpuNet.Runtime.Cuda;

/// <summary>
/// P/Invoke bindings to the CUDA driver API (<c>libcuda.so.1</c>, installed with the NVIDIA driver; the
/// <c>_v2</c> entry points): just the calls the accelerator uses. Every result is checked by <see cref="Check"/>.
/// </summary>
internal static unsafe partial class CudaApi
{
    private const string Lib = "cuda";

    static CudaApi() => NativeLibraries.EnsureRegistered();

    // CUdevice_attribute
    public const int AttrMaxThreadsPerBlock = 1, AttrMaxGridDimY = 6,
        AttrMultiprocessorCount = 16, AttrComputeCapabilityMajor = 75, AttrComputeCapabilityMinor = 76;
    // CUfunction_attribute
    public const int FuncAttrMaxThreadsPerBlock = 0;
    public const uint StreamNonBlocking = 1;

    [LibraryImport(Lib, EntryPoint = "cuInit")] public static partial int Init(uint flags);
    [LibraryImport(Lib, EntryPoint = "cuDriverGetVersion")] public static partial int DriverGetVersion(int* version);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetCount")] public static partial int DeviceGetCount(int* count);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGet")] public static partial int DeviceGet(int* device, int ordinal);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetName")] public static partial int DeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int DeviceTotalMem(nuint* bytes, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceGetAttribute")] public static partial int DeviceGetAttribute(int* value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRetain")] public static partial int DevicePrimaryCtxRetain(nint* context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int DevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib, EntryPoint = "cuCtxSetCurrent")] public static partial int CtxSetCurrent(nint context);
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int MemAlloc(ulong* pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int MemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int MemGetInfo(nuint* free, nuint* total);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int MemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int MemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuModuleLoadData")] public static partial int ModuleLoadData(nint* module, void* image);
    [LibraryImport(Lib, EntryPoint = "cuModuleUnload")] public static partial int ModuleUnload(nint module);
    [LibraryImport(Lib, EntryPoint = "cuModuleGetFunction")] public static partial int ModuleGetFunction(nint* function, nint module, byte* name);
    [LibraryImport(Lib, EntryPoint = "cuFuncGetAttribute")] public static partial int FuncGetAttribute(int* value, int attribute, nint function);
    [LibraryImport(Lib, EntryPoint = "cuLaunchKernel")]
    public static partial int LaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemBytes, nint stream, void** parameters, void** extra);
    [LibraryImport(Lib, EntryPoint = "cuStreamCreate")] public static partial int StreamCreate(nint* stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int StreamDestroy(nint stream);
    [LibraryImport(Lib, EntryPoint = "cuStreamSynchronize")] public static partial int StreamSynchronize(nint stream);
    [LibraryImport(Lib, EntryPoint = "cuEventCreate")] public static partial int EventCreate(nint* evt, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuEventRecord")] public static partial int EventRecord(nint evt, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuEventSynchronize")] public static partial int EventSynchronize(nint evt);
    [LibraryImport(Lib, EntryPoint = "cuEventElapsedTime")] public static partial int EventElapsedTime(float* milliseconds, nint start, nint end);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int EventDestroy(nint evt);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorName")] public static partial int GetErrorName(int result, byte** name);
    [LibraryImport(Lib, EntryPoint = "cuGetErrorString")] public static partial int GetErrorString(int result, byte** text);

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the result unless it is CUDA_SUCCESS.</summary>
    public static void Check(int result, string call, string? detail = null)
    {
        if (result != 0) throw new CudaException(call, result, detail);
    }

    /// <summary>CUDA_ERROR_… name and the driver's description of a result code.</summary>
    public static string Describe(int result)
    {
        byte* name = null, text = null;
        try
        {
            GetErrorName(result, &name);
            GetErrorString(result, &text);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        string n = name is null ? $"CUDA error {result}" : Marshal.PtrToStringUTF8((nint)name)!;
        return text is null ? n : $"{n}, \"{Marshal.PtrToStringUTF8((nint)text)}\"";
    }

    public static int Attribute(int device, int attribute)
    {
        int v;
        Check(DeviceGetAttribute(&v, attribute, device), "cuDeviceGetAttribute");
        return v;
    }
}

/// <summary>
/// A CUDA driver or NVRTC call failed: the message names the call, the result (e.g. CUDA_ERROR_OUT_OF_MEMORY) and
/// what to do. <see cref="IsSticky"/> results leave the context unusable: the process must restart.
/// </summary>
public sealed class CudaException : AcceleratorException
{
    public CudaException(string call, int result, string? detail = null)
        : base($"{call} failed with {CudaApi.Describe(result)}{(detail is null ? "" : ": " + detail)}", call, result) { }

    public CudaException(string message) : base(message) { }

    public const int OutOfMemory = 2;

    /// <summary>
    /// Errors after which the context is corrupt and every later call fails (illegal address, launch failure,
    /// misaligned address, illegal instruction, hardware stack error, invalid address space, invalid PC, launch timeout).
    /// </summary>
    public static bool IsSticky(int result) => result is 700 or 702 or 714 or 715 or 716 or 717 or 718 or 719;
}

using System.Runtime.InteropServices;

namespace GpuNet.Runtime.OpenCL;

/// <summary>
/// P/Invoke bindings to the OpenCL 1.2 ICD loader (<c>libOpenCL.so.1</c>, falling back to <c>libOpenCL.so</c>):
/// just the calls the accelerator uses. Every status code is checked by <see cref="Check"/>.
/// </summary>
internal static unsafe partial class OpenClApi
{
    private const string Lib = "OpenCL";

    static OpenClApi() => NativeLibraries.EnsureRegistered();

    /// <summary>True when an OpenCL ICD loader can be loaded at all.</summary>
    public static bool LoaderPresent
    {
        get
        {
            try { uint n; return GetPlatformIDs(0, null, &n) is 0 or -1001; }
            catch (DllNotFoundException) { return false; }
            catch (EntryPointNotFoundException) { return false; }
        }
    }

    public const uint DeviceTypeAll = 0xFFFFFFFF;
    // clGetPlatformInfo / clGetDeviceInfo parameter names
    public const uint PlatformName = 0x0902, PlatformVersion = 0x0901;
    public const uint DeviceName = 0x102B, DeviceVendor = 0x102C, DriverVersion = 0x102D, DeviceVersion = 0x102F,
        DeviceType = 0x1000, DeviceMaxComputeUnits = 0x1002, DeviceMaxWorkGroupSize = 0x1004, DeviceGlobalMemSize = 0x101F,
        DeviceLocalMemSize = 0x1023, DeviceMaxMemAllocSize = 0x1010;
    public const uint DeviceTypeCpu = 1 << 1, DeviceTypeGpu = 1 << 2;
    public const ulong MemReadWrite = 1 << 0;
    public const uint ProgramBuildLog = 0x1183, ProgramBinarySizes = 0x1165, ProgramBinaries = 0x1166;

    [LibraryImport(Lib, EntryPoint = "clGetPlatformIDs")] public static partial int GetPlatformIDs(uint num, nint* platforms, uint* count);
    [LibraryImport(Lib, EntryPoint = "clGetPlatformInfo")] public static partial int GetPlatformInfo(nint platform, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib, EntryPoint = "clGetDeviceIDs")] public static partial int GetDeviceIDs(nint platform, ulong type, uint num, nint* devices, uint* count);
    [LibraryImport(Lib, EntryPoint = "clGetDeviceInfo")] public static partial int GetDeviceInfo(nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib, EntryPoint = "clCreateContext")] public static partial nint CreateContext(nint* properties, uint numDevices, nint* devices, nint callback, nint userData, int* err);
    [LibraryImport(Lib, EntryPoint = "clReleaseContext")] public static partial int ReleaseContext(nint context);
    [LibraryImport(Lib, EntryPoint = "clCreateCommandQueue")] public static partial nint CreateCommandQueue(nint context, nint device, ulong properties, int* err);
    [LibraryImport(Lib, EntryPoint = "clReleaseCommandQueue")] public static partial int ReleaseCommandQueue(nint queue);
    [LibraryImport(Lib, EntryPoint = "clCreateBuffer")] public static partial nint CreateBuffer(nint context, ulong flags, nuint size, void* host, int* err);
    [LibraryImport(Lib, EntryPoint = "clReleaseMemObject")] public static partial int ReleaseMemObject(nint mem);
    [LibraryImport(Lib, EntryPoint = "clEnqueueWriteBuffer")] public static partial int EnqueueWriteBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib, EntryPoint = "clEnqueueReadBuffer")] public static partial int EnqueueReadBuffer(nint queue, nint buffer, uint blocking, nuint offset, nuint size, void* ptr, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib, EntryPoint = "clEnqueueCopyBuffer")] public static partial int EnqueueCopyBuffer(nint queue, nint src, nint dst, nuint srcOffset, nuint dstOffset, nuint size, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib, EntryPoint = "clCreateProgramWithSource")] public static partial nint CreateProgramWithSource(nint context, uint count, byte** strings, nuint* lengths, int* err);
    [LibraryImport(Lib, EntryPoint = "clCreateProgramWithBinary")] public static partial nint CreateProgramWithBinary(nint context, uint numDevices, nint* devices, nuint* lengths, byte** binaries, int* binaryStatus, int* err);
    [LibraryImport(Lib, EntryPoint = "clBuildProgram")] public static partial int BuildProgram(nint program, uint numDevices, nint* devices, byte* options, nint callback, nint userData);
    [LibraryImport(Lib, EntryPoint = "clGetProgramBuildInfo")] public static partial int GetProgramBuildInfo(nint program, nint device, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib, EntryPoint = "clGetProgramInfo")] public static partial int GetProgramInfo(nint program, uint param, nuint size, void* value, nuint* sizeRet);
    [LibraryImport(Lib, EntryPoint = "clReleaseProgram")] public static partial int ReleaseProgram(nint program);
    [LibraryImport(Lib, EntryPoint = "clCreateKernel")] public static partial nint CreateKernel(nint program, byte* name, int* err);
    [LibraryImport(Lib, EntryPoint = "clReleaseKernel")] public static partial int ReleaseKernel(nint kernel);
    [LibraryImport(Lib, EntryPoint = "clSetKernelArg")] public static partial int SetKernelArg(nint kernel, uint index, nuint size, void* value);
    [LibraryImport(Lib, EntryPoint = "clEnqueueNDRangeKernel")] public static partial int EnqueueNDRangeKernel(nint queue, nint kernel, uint dims, nuint* offset, nuint* global, nuint* local, uint numEvents, nint* waitList, nint* evt);
    [LibraryImport(Lib, EntryPoint = "clFinish")] public static partial int Finish(nint queue);

    /// <summary>Throws an <see cref="OpenClException"/> naming the call and the status unless it is CL_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0) throw new OpenClException(call, status);
    }

    public static string InfoString(nint obj, uint param, bool device)
    {
        nuint size;
        Check(device ? GetDeviceInfo(obj, param, 0, null, &size) : GetPlatformInfo(obj, param, 0, null, &size), device ? "clGetDeviceInfo" : "clGetPlatformInfo");
        var buf = new byte[(int)size];
        fixed (byte* p = buf)
            Check(device ? GetDeviceInfo(obj, param, size, p, null) : GetPlatformInfo(obj, param, size, p, null), device ? "clGetDeviceInfo" : "clGetPlatformInfo");
        return System.Text.Encoding.UTF8.GetString(buf).TrimEnd('\0').Trim();
    }

    public static T DeviceInfo<T>(nint device, uint param) where T : unmanaged
    {
        T value;
        Check(GetDeviceInfo(device, param, (nuint)sizeof(T), &value, null), "clGetDeviceInfo");
        return value;
    }
}

/// <summary>An OpenCL call failed: the message names the call and the status (e.g. CL_OUT_OF_RESOURCES).</summary>
public sealed class OpenClException : AcceleratorException
{
    public OpenClException(string call, int status, string? detail = null)
        : base($"{call} failed with {Name(status)} ({status}){(detail is null ? "" : ": " + detail)}", call, status) { }

    public OpenClException(string message) : base(message) { }

    public static string Name(int status) => status switch
    {
        0 => "CL_SUCCESS", -1 => "CL_DEVICE_NOT_FOUND", -2 => "CL_DEVICE_NOT_AVAILABLE", -3 => "CL_COMPILER_NOT_AVAILABLE",
        -4 => "CL_MEM_OBJECT_ALLOCATION_FAILURE", -5 => "CL_OUT_OF_RESOURCES", -6 => "CL_OUT_OF_HOST_MEMORY",
        -7 => "CL_PROFILING_INFO_NOT_AVAILABLE", -8 => "CL_MEM_COPY_OVERLAP", -9 => "CL_IMAGE_FORMAT_MISMATCH",
        -10 => "CL_IMAGE_FORMAT_NOT_SUPPORTED", -11 => "CL_BUILD_PROGRAM_FAILURE", -12 => "CL_MAP_FAILURE",
        -13 => "CL_MISALIGNED_SUB_BUFFER_OFFSET", -14 => "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
        -15 => "CL_COMPILE_PROGRAM_FAILURE", -16 => "CL_LINKER_NOT_AVAILABLE", -17 => "CL_LINK_PROGRAM_FAILURE",
        -30 => "CL_INVALID_VALUE", -31 => "CL_INVALID_DEVICE_TYPE", -32 => "CL_INVALID_PLATFORM", -33 => "CL_INVALID_DEVICE",
        -34 => "CL_INVALID_CONTEXT", -35 => "CL_INVALID_QUEUE_PROPERTIES", -36 => "CL_INVALID_COMMAND_QUEUE",
        -37 => "CL_INVALID_HOST_PTR", -38 => "CL_INVALID_MEM_OBJECT", -40 => "CL_INVALID_IMAGE_SIZE", -42 => "CL_INVALID_BINARY",
        -43 => "CL_INVALID_BUILD_OPTIONS", -44 => "CL_INVALID_PROGRAM", -45 => "CL_INVALID_PROGRAM_EXECUTABLE",
        -46 => "CL_INVALID_KERNEL_NAME", -47 => "CL_INVALID_KERNEL_DEFINITION", -48 => "CL_INVALID_KERNEL",
        -49 => "CL_INVALID_ARG_INDEX", -50 => "CL_INVALID_ARG_VALUE", -51 => "CL_INVALID_ARG_SIZE",
        -52 => "CL_INVALID_KERNEL_ARGS", -53 => "CL_INVALID_WORK_DIMENSION", -54 => "CL_INVALID_WORK_GROUP_SIZE",
        -55 => "CL_INVALID_WORK_ITEM_SIZE", -56 => "CL_INVALID_GLOBAL_OFFSET", -57 => "CL_INVALID_EVENT_WAIT_LIST",
        -58 => "CL_INVALID_EVENT", -59 => "CL_INVALID_OPERATION", -61 => "CL_INVALID_BUFFER_SIZE",
        -63 => "CL_INVALID_GLOBAL_WORK_SIZE", -1001 => "CL_PLATFORM_NOT_FOUND_KHR",
        _ => "an unknown OpenCL status",
    };
}

internal static unsafe partial class OpenClApi
{
    public const uint KernelWorkGroupSize = 0x11B0;

    [LibraryImport(Lib, EntryPoint = "clGetKernelWorkGroupInfo")]
    public static partial int GetKernelWorkGroupInfo(nint kernel, nint device, uint param, nuint size, void* value, nuint* sizeRet);
}

namespace GpuNet.Runtime.OpenCL;

/// <summary>Device memory of an OpenCL accelerator (a cl_mem of float32 elements).</summary>
public sealed unsafe class OpenClBuffer : DeviceBuffer
{
    internal OpenClBuffer(OpenClAccelerator accelerator, int length) : base(accelerator, length)
    {
        int err;
        Handle = OpenClApi.CreateBuffer(accelerator.Context, OpenClApi.MemReadWrite, (nuint)length * sizeof(float), null, &err);
        if (err != 0)
            throw new OpenClException("clCreateBuffer", err, $"{(long)length * 4} bytes on {accelerator.Name} with {accelerator.AllocatedBytes} already held");
    }

    internal nint Handle { get; private set; }

    protected override void FreeInternal()
    {
        if (Handle != 0) OpenClApi.ReleaseMemObject(Handle);
        Handle = 0;
    }
}

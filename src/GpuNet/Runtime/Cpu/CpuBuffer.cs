using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace GpuNet.Runtime.Cpu;

/// <summary>
/// Device memory of the CPU accelerator: a managed array on the pinned object heap, so kernels can use raw pointers.
/// </summary>
public sealed class CpuBuffer : DeviceBuffer
{
    internal CpuBuffer(Accelerator accelerator, int length) : base(accelerator, length)
    {
        Data = GC.AllocateUninitializedArray<float>(length, pinned: true);
    }

    internal float[] Data { get; private set; }

    internal unsafe float* Pointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Data));

    protected override void FreeInternal() => Data = [];
}

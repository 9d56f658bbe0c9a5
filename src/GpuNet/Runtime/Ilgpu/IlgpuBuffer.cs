using ILGPU;
using ILGPU.Runtime;

namespace GpuNet.Runtime.Ilgpu;

/// <summary>Device memory of an ILGPU accelerator: one dense float buffer; tensors are views into it.</summary>
public sealed class IlgpuBuffer : DeviceBuffer
{
    private MemoryBuffer1D<float, Stride1D.Dense>? _memory;

    internal IlgpuBuffer(Accelerator accelerator, MemoryBuffer1D<float, Stride1D.Dense> memory, int length)
        : base(accelerator, length)
    {
        _memory = memory;
        View = memory.View.AsContiguous();
    }

    /// <summary>The whole buffer as a kernel argument.</summary>
    internal ArrayView<float> View { get; }

    protected override void FreeInternal()
    {
        _memory?.Dispose();
        _memory = null;
    }
}

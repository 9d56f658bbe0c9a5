using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Ops;

/// <summary>The op suite on the CPU accelerator with all cores.</summary>
public sealed class CpuOpTests : OpTests
{
    private readonly CpuAccelerator _acc = new();
    protected override Accelerator Acc => _acc;
    public override void Dispose() { base.Dispose(); Assert.Equal(0, _acc.AllocatedBytes); _acc.Dispose(); }
}

/// <summary>
/// The op suite on a one-thread CPU accelerator (the share one tower of a cpu+cpu split gets on two cores).
/// </summary>
public sealed class CpuSingleThreadOpTests : OpTests
{
    private readonly CpuAccelerator _acc = new(threads: 1, name: "cpu:1");
    protected override Accelerator Acc => _acc;
}

/// <summary>
/// The op suite on a CPU accelerator with more threads than cores, so every parallel chunk edge is crossed.
/// </summary>
public sealed class CpuOversubscribedOpTests : OpTests
{
    private readonly CpuAccelerator _acc = new(threads: 5, name: "cpu:5");
    protected override Accelerator Acc => _acc;
}

/// <summary>
/// The op suite with the 6×16 AVX2 GEMM micro-kernel, which AVX2-only machines run (the default suite above runs the
/// 12×32 AVX-512 one where the machine has it).
/// </summary>
public sealed class CpuAvx2GemmOpTests : OpTests
{
    private readonly CpuAccelerator _acc = new() { WideGemm = false };
    protected override Accelerator Acc => _acc;
}

/// <summary>
/// The op suite with every convolution reading its input in place (im2col panels packed from the image, column tiles
/// for backward-data), the path AlexNet's large layers take; the default suite builds small im2col matrices whole.
/// </summary>
public sealed class CpuImplicitConvOpTests : OpTests
{
    private readonly CpuAccelerator _acc = new() { ConvImplicitFloats = 0 };
    protected override Accelerator Acc => _acc;
}

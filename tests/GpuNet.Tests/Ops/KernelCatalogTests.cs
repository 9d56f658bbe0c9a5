using GpuNet.Runtime.Ilgpu;
using ILGPU.Runtime.Cuda;

namespace GpuNet.Tests.Ops;

/// <summary>The kernels of kernels/ as <see cref="KernelCatalog"/> finds them, and their PTX (no GPU needed).</summary>
public sealed class KernelCatalogTests
{
    [Fact]
    public void Catalogue_holds_the_kernel_methods_and_no_helpers()
    {
        Assert.True(KernelCatalog.Names.Count > 45, $"found only {KernelCatalog.Names.Count} kernels");
        Assert.Contains("Gemm", KernelCatalog.Names);
        Assert.Contains("GemmDirect", KernelCatalog.Names);
        Assert.Contains("MaxPool2dBackwardArgmax", KernelCatalog.Names);
        Assert.Contains("Conv2dIm2col", KernelCatalog.Names);
        // Rules.DropoutUniform is public (the CPU accelerator shares it) but not in a …Kernels class
        Assert.DoesNotContain("DropoutUniform", KernelCatalog.Names);
        Assert.Equal(KernelCatalog.Names.Order(StringComparer.Ordinal), KernelCatalog.Names);
        Assert.Contains("no kernel 'gemm'", Assert.Throws<ArgumentException>(() => KernelCatalog.Get("gemm")).Message);
    }

    public static TheoryData<string> KernelNames() => new(KernelCatalog.Names);

    [Theory, MemberData(nameof(KernelNames))]
    public void Every_kernel_compiles_to_ptx(string kernel)
    {
        string ptx = KernelCatalog.Ptx(KernelCatalog.Get(kernel), CudaArchitecture.SM_90);
        Assert.Contains(".entry", ptx);
        Assert.Contains(".target sm_", ptx);
    }

    /// <summary>
    /// ILGPU 1.5 unrolls no loops: a register block held in an array would live in local memory (the GPU's
    /// off-chip memory), so the tiled GEMM keeps its 4 × 4 accumulators in a struct of sixteen fields.
    /// </summary>
    [Fact]
    public void Tiled_gemm_keeps_its_register_block_out_of_local_memory()
    {
        string ptx = KernelCatalog.Ptx(KernelCatalog.Get("Gemm"), CudaArchitecture.SM_90);
        Assert.DoesNotContain(".local", ptx);
    }
}

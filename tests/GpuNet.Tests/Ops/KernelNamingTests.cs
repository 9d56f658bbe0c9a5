using System.Reflection;
using GpuNet.Runtime;

namespace GpuNet.Tests.Ops;

/// <summary>One name per operation: every op of the accelerator has a __kernel of the same name in kernels/.</summary>
public sealed class KernelNamingTests
{
    [Fact]
    public void Every_accelerator_op_has_a_kernel_of_the_same_name()
    {
        var kernels = KernelSource.Kernels.Select(k => k.Kernel).ToHashSet();
        var ops = typeof(Accelerator).GetMethods(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(m => m.IsAbstract && m.Name.EndsWith("Internal") && !m.Name.StartsWith("CopyFromHost") && !m.Name.StartsWith("CopyToHost") && m.Name != "AllocateInternal")
            .Select(m => KernelSource.SnakeCase(m.Name[..^"Internal".Length])).ToList();
        Assert.True(ops.Count > 40, $"found only {ops.Count} ops");
        var missing = ops.Where(o => !kernels.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "ops without a kernel of the same name: " + string.Join(", ", missing));
    }

    [Fact]
    public void Kernel_sources_compose_defines_prelude_common_kernel_in_that_order()
    {
        string s = KernelSource.Compose("activation.cl", KernelDialect.Cuda, [new("X", "1")]);
        int d = s.IndexOf("#define X 1"), p = s.IndexOf("#define CUDA 1"), c = s.IndexOf("dropout_uniform"), k = s.IndexOf("relu_forward");
        Assert.True(0 <= d && d < p && p < c && c < k, $"order: define {d}, prelude {p}, common {c}, kernel {k}");
    }
}

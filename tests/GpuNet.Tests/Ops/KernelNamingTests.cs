using System.Reflection;
using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;

namespace GpuNet.Tests.Ops;

/// <summary>One name per operation: every op of the accelerator has a kernel of the same name in kernels/.</summary>
public sealed class KernelNamingTests
{
    [Fact]
    public void Every_accelerator_op_has_a_kernel_of_the_same_name()
    {
        var kernels = KernelCatalog.Names.ToHashSet();
        // the ops a backend implements (ReluForwardInternal → ReluForward), less memory management
        var ops = typeof(Accelerator).GetMethods(BindingFlags.Instance | BindingFlags.NonPublic)
            .Where(m => m.IsAbstract && m.Name.EndsWith("Internal", StringComparison.Ordinal)
                        && !m.Name.StartsWith("CopyFromHost", StringComparison.Ordinal)
                        && !m.Name.StartsWith("CopyToHost", StringComparison.Ordinal)
                        && m.Name != "AllocateInternal")
            .Select(m => m.Name[..^"Internal".Length]).Distinct().ToList();
        Assert.True(ops.Count > 40, $"found only {ops.Count} ops");
        var missing = ops.Where(o => !kernels.Contains(o)).ToList();
        Assert.True(missing.Count == 0, "ops without a kernel of the same name: " + string.Join(", ", missing));
    }

    [Fact]
    public void Kernel_names_are_pascal_case()
    {
        var odd = KernelCatalog.Names.Where(n => !char.IsUpper(n[0]) || n.Any(ch => !char.IsAsciiLetterOrDigit(ch)));
        Assert.Empty(odd);
    }
}

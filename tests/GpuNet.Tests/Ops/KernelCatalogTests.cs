using System.Diagnostics;
using System.Text.Json;
using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;
using ILGPU.Runtime.Cuda;
using Xunit.Abstractions;

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

/// <summary>Doctor on ILGPU's CPU accelerator: the GPU kernels, thread by thread.</summary>
public sealed class IlgpuCpuDoctorTests(IlgpuCpuFixture fixture, ITestOutputHelper output)
    : DoctorTests(output), IClassFixture<IlgpuCpuFixture>
{
    protected override IlgpuAccelerator Il => fixture.Acc;
}

/// <summary>Doctor on cuda:0 through ILGPU (skipped without an NVIDIA driver and GPU).</summary>
[RequiresAccelerator("ilgpu-cuda")]
public sealed class IlgpuCudaDoctorTests(IlgpuCudaFixture fixture, ITestOutputHelper output)
    : DoctorTests(output), IClassFixture<IlgpuCudaFixture>
{
    protected override IlgpuAccelerator Il => fixture.Acc;
}

/// <summary><c>gpunet doctor</c>'s checks on an ILGPU accelerator: every op passes, every kernel is reached.</summary>
public abstract class DoctorTests(ITestOutputHelper output)
{
    protected abstract IlgpuAccelerator Il { get; }

    [AcceleratorFact]
    public void Doctor_passes_every_check_and_reaches_every_kernel()
    {
        var gemm = Il.GemmTiling;
        var sw = Stopwatch.StartNew();
        var report = Doctor.Run(Il);
        output.WriteLine($"doctor on {Il.Name}: {report.Checks.Count} checks in {sw.Elapsed.TotalSeconds:F1} s");
        var failed = report.Checks.Where(c => !c.Passed).Select(c => $"{c.Op}: error {c.MaxError:G3} {c.Error}");
        Assert.True(report.Passed, "failing ops:\n" + string.Join("\n", failed));
        Assert.True(report.KernelsNotRun.Count == 0,
            "kernels no check ran: " + string.Join(", ", report.KernelsNotRun));
        Assert.Equal(KernelCatalog.Names.Except(report.KernelsNotRun), report.KernelsRun);
        Assert.Contains(report.Checks, c => c.Op == "Gemm TT (70x133x45, tiled)");
        Assert.Contains(report.Checks, c => c.Op == "Gemm TT (70x133x45, direct)");
        Assert.Equal(Il.Name, report.Device);
        Assert.StartsWith("1.5.3", report.Ilgpu);
        if (Il.Device is CudaAccelerator)
        {
            Assert.Matches(@"^\d+\.\d+$", report.ComputeCapability);
            Assert.Matches(@"^CUDA \d+\.\d+$", report.Driver);
        }
        else if (Il.Kind == AcceleratorKind.IlgpuCpu) Assert.Null(report.ComputeCapability);
        Assert.Null(Il.LaunchLog);
        Assert.Equal(ConvAlgorithm.Auto, Il.ConvAlgorithm);
        Assert.Equal(gemm, Il.GemmTiling);
    }

    [AcceleratorFact]
    public void Doctor_reports_an_op_that_throws_as_failed_with_its_error_and_carries_on()
    {
        var saved = Il.GemmTiling;
        // a group of 128 × 128 threads: every tiled GEMM refuses to launch (devices allow at most 1024)
        Il.GemmTiling = new GemmTiling(128, 128, 8, DirectBelow: 0);
        try
        {
            var report = Doctor.Run(Il);
            Assert.False(report.Passed);
            var tiled = report.Checks.Single(c => c.Op == "Gemm NN (70x133x45, tiled)");
            Assert.False(tiled.Passed);
            Assert.Contains("128x128 threads exceeds", tiled.Error);
            Assert.True(report.Checks.Single(c => c.Op == "Gemm NN (70x133x45, direct)").Passed,
                "the direct GEMM still runs");
            Assert.True(report.Checks.Single(c => c.Op == "ReluForward").Passed);
            Assert.Contains("Gemm", report.KernelsNotRun);
            Assert.Equal(new GemmTiling(128, 128, 8, DirectBelow: 0), Il.GemmTiling);
            Assert.Null(Il.LaunchLog);
        }
        finally { Il.GemmTiling = saved; }
    }
}

/// <summary>The error measure, and <c>gpunet doctor</c> as a user runs it.</summary>
public sealed class DoctorCommandTests(ITestOutputHelper output)
{
    [Fact]
    public void Doctor_error_is_relative_and_treats_nan_as_infinite()
    {
        Assert.Equal(0.5, Doctor.MaxError([[1f, 0f]], [[2f, 0f]]), 12);
        Assert.Equal(1e-3, Doctor.MaxError([[999f]], [[1000f]]), 9);
        Assert.Equal(double.PositiveInfinity, Doctor.MaxError([[1f]], [[float.NaN]]));
        Assert.Equal(double.PositiveInfinity, Doctor.MaxError([[1f, 2f]], [[1f]]));
    }

    [Fact]
    public void Doctor_command_checks_ilgpu_cpu_and_prints_json()
    {
        var sw = Stopwatch.StartNew();
        var (code, stdout, err) = ChildProcess.Gpunet(null, "doctor", "--device", "ilgpu-cpu", "--json");
        output.WriteLine($"gpunet doctor --device ilgpu-cpu --json: {sw.Elapsed.TotalSeconds:F1} s");
        Assert.True(code == 0, err + stdout);
        using var doc = JsonDocument.Parse(stdout);
        var report = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("ilgpu-cpu", report.GetProperty("device").GetString());
        Assert.True(report.GetProperty("passed").GetBoolean());
        Assert.StartsWith("1.5.3", report.GetProperty("ilgpu").GetString());
        Assert.Equal(Doctor.Checks.Count, report.GetProperty("checks").GetArrayLength());
        Assert.Equal(KernelCatalog.Names.Count, report.GetProperty("kernels").GetInt32());
    }

    [Fact]
    public void Doctor_command_without_a_gpu_says_why_and_suggests_ilgpu_cpu()
    {
        // only checkable where ILGPU finds no device (elsewhere the command would check them all)
        if (IlgpuDevices.Cuda.Count + IlgpuDevices.OpenCL.Count > 0) return;
        var (code, _, err) = ChildProcess.Gpunet(null, "doctor");
        Assert.Equal(1, code);
        Assert.Contains("no CUDA or OpenCL device ILGPU can use", err);
        Assert.Contains($"CUDA: {IlgpuDevices.CudaUnavailable}", err);
        Assert.Contains($"OpenCL: {IlgpuDevices.OpenClUnavailable}", err);
        Assert.Contains("gpunet doctor --device ilgpu-cpu", err);
    }

    [Fact]
    public void Doctor_command_explains_itself()
    {
        var (code, stdout, _) = ChildProcess.Gpunet(null, "doctor", "--help");
        Assert.Equal(0, code);
        Assert.Contains("Usage:", stdout);
        Assert.Contains("ilgpu-cpu", stdout);
        Assert.Contains("--json", stdout);
    }
}

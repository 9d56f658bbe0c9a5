using System.Text.Json;
using GpuNet.Runtime;
using GpuNet.Tests.Ops;

namespace GpuNet.Tests.CudaEmulation;

/// <summary>
/// fakecuda.cpp built once: a CPU stand-in for libcuda and NVRTC (see the file) with a kernel cache shared by the tests.
/// Pointing GPUNET_CUDA_DRIVER and GPUNET_NVRTC at it gives a process one emulated CUDA device, cuda:0.
/// </summary>
public sealed class FakeCudaFixture : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("gpunet-fakecuda").FullName;
    public string Library => Path.Combine(Dir, "libfakecuda.so");

    public FakeCudaFixture()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "CudaEmulation", "fakecuda.cpp");
        var (code, _, err) = ChildProcess.Run("g++", ["-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", "-o", Library, source, "-ldl"]);
        if (code != 0) throw new InvalidOperationException($"building fakecuda.cpp failed:\n{err}");
    }

    /// <summary>Environment that makes a child process see the emulated device (plus <paramref name="extra"/>).</summary>
    public Dictionary<string, string> Environment(params (string Key, string Value)[] extra)
    {
        var env = new Dictionary<string, string>
        {
            ["GPUNET_CUDA_DRIVER"] = Library, ["GPUNET_NVRTC"] = Library, ["GPUNET_CACHE"] = Path.Combine(Dir, "cache"),
        };
        foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    /// <summary>`gpunet doctor --device cuda --json`: exit code and the first device's checks.</summary>
    public static (int Code, List<JsonElement> Checks) DoctorJson(IReadOnlyDictionary<string, string> env)
    {
        var (code, stdout, _) = ChildProcess.Gpunet(env, "doctor", "--device", "cuda", "--json");
        return (code, JsonDocument.Parse(stdout).RootElement[0].GetProperty("checks").EnumerateArray().ToList());
    }

    public void Dispose() => Directory.Delete(Dir, true);
}

/// <summary>
/// The CUDA backend where no GPU is: the same CUDA test classes that skip here (no CUDA device) run in a child process
/// against the CPU emulation of the driver and NVRTC, so the C# driver bindings, argument packing, context handling on
/// the towers' threads, the caching allocator, the NVRTC build and cubin cache, and the kernels' CUDA dialect
/// (prelude, shared memory, barriers) are all exercised. What only a GPU shows (NVRTC's own compiler, real memory
/// and timing) stays for <c>gpunet doctor --device cuda</c> on a GPU.
/// </summary>
[RequiresAccelerator("g++"), Collection(SerialCollection.Name)]
public sealed class CudaEmulationTests(FakeCudaFixture fake) : IClassFixture<FakeCudaFixture>
{
    [AcceleratorFact]
    public void The_cuda_test_classes_pass_on_the_emulated_driver()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "GpuNet.Tests.dll");
        var (code, stdout, stderr) = ChildProcess.Run("dotnet",
            ["test", dll, "--filter", "FullyQualifiedName~GpuNet.Tests.Ops.CudaOpTests|FullyQualifiedName~GpuNet.Tests.Models.CudaSameGpuTwoTowerTests"],
            fake.Environment());
        string output = stdout + stderr;
        Assert.True(code == 0, $"CUDA tests on the emulated driver failed:\n{output}");
        var summary = System.Text.RegularExpressions.Regex.Match(output, @"Failed:\s+(\d+), Passed:\s+(\d+), Skipped:\s+(\d+)");
        Assert.True(summary.Success, output);
        Assert.Equal("0", summary.Groups[1].Value);
        Assert.Equal("0", summary.Groups[3].Value);
        Assert.True(int.Parse(summary.Groups[2].Value) >= 100, $"only {summary.Groups[2].Value} CUDA tests ran:\n{output}");
    }

    [AcceleratorFact]
    public void Doctor_lists_the_device_and_passes_every_kernel()
    {
        var (code, output, err) = ChildProcess.Gpunet(fake.Environment(), "doctor", "--device", "cuda");
        Assert.True(code == 0, output + err);
        Assert.Contains("compute capability 9.0", output);
        Assert.Contains("NVRTC 13.0", output);
        Assert.Contains($"cuda:0: {Doctor.Checks.Count} of {Doctor.Checks.Count} ops pass, {KernelSource.Kernels.Count} of {KernelSource.Kernels.Count} kernels run", output);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(fake.Dir, "cache", "cuda"), "*.cubin"));
        var (devCode, devices, _) = ChildProcess.Gpunet(fake.Environment(), "devices");
        Assert.Equal(0, devCode);
        Assert.Contains("cuda:0", devices);
    }

    [AcceleratorFact]
    public void Out_of_memory_says_how_much_was_asked_free_and_held_and_the_engine_stays_usable()
    {
        var (code, checks) = FakeCudaFixture.DoctorJson(fake.Environment(("FAKECUDA_MEMORY", "60000")));
        Assert.Equal(1, code);
        int first = checks.FindIndex(c => c.GetProperty("error").GetString()?.Contains("CUDA_ERROR_OUT_OF_MEMORY") == true);
        Assert.True(first >= 0, "no check ran out of memory");
        string error = checks[first].GetProperty("error").GetString()!;
        Assert.Matches(@"could not allocate [\d,]+ bytes: [\d,]+ free of 60,000, GpuNet holds [\d,]+", error);
        Assert.Contains("smaller --batch", error);
        Assert.Contains(checks.Skip(first + 1), c => c.GetProperty("passed").GetBoolean());
    }

    [AcceleratorFact]
    public void A_kernel_that_crashes_is_named_and_the_process_is_told_to_restart()
    {
        var (code, checks) = FakeCudaFixture.DoctorJson(fake.Environment(("FAKECUDA_FAIL_KERNEL", "relu_forward")));
        Assert.Equal(1, code);
        var relu = checks.Single(c => c.GetProperty("op").GetString() == "ReluForward");
        string error = relu.GetProperty("error").GetString()!;
        Assert.Contains("CUDA_ERROR_ILLEGAL_ADDRESS", error);
        Assert.Contains("relu_forward (the last one launched", error);
        Assert.Contains("restart the process", error);
    }
}

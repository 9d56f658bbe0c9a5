using GpuNet.Runtime;
using GpuNet.Runtime.Cuda;

namespace GpuNet.Tests.Ops;

/// <summary>One CUDA accelerator shared by a test class; created on first use.</summary>
public sealed class CudaFixture : IDisposable
{
    private CudaAccelerator? _acc;
    public CudaAccelerator Acc => _acc ??= new CudaAccelerator(0);
    public void Dispose() => _acc?.Dispose();
}

/// <summary>The op suite and the kernel-backend tests (both convolution algorithms, GEMM tiles, doctor) on cuda:0.</summary>
[RequiresAccelerator("cuda")]
public sealed class CudaOpTests(CudaFixture fixture) : KernelBackendTests, IClassFixture<CudaFixture>
{
    protected override KernelAccelerator Cl => fixture.Acc;
}

/// <summary>What can be checked of the CUDA backend on any machine, GPU or not.</summary>
public sealed class CudaBackendTests
{
    [Fact]
    public void Opening_cuda_says_why_it_is_unavailable_or_which_devices_exist()
    {
        if (CudaDevices.All.Count == 0)
        {
            var e = Assert.Throws<ArgumentException>(() => Devices.Open("cuda"));
            Assert.Contains("CUDA is unavailable", e.Message);
            Assert.Contains(Devices.CudaUnavailable!, e.Message);
            Assert.Contains("available: cpu", e.Message);
            Assert.Contains("CUDA: ", string.Join("\n", Devices.Unavailable()));
            Assert.DoesNotContain(Devices.Available(), n => n.StartsWith("cuda"));
        }
        else
        {
            var e = Assert.Throws<ArgumentException>(() => Devices.Open("cuda:99"));
            Assert.Contains($"cuda:0 to cuda:{CudaDevices.All.Count - 1}", e.Message);
            Assert.Contains("cuda:0", Devices.Available());
        }
    }

    [Fact]
    public void Nvrtc_targets_the_device_architecture_as_a_cubin_or_the_newest_older_one_as_ptx()
    {
        int[] supported = [75, 80, 86, 87, 89, 90, 100, 103, 120];
        Assert.Equal(("--gpu-architecture=sm_90", true), Nvrtc.Target(90, supported));
        Assert.Equal(("--gpu-architecture=sm_75", true), Nvrtc.Target(75, supported));
        // a GPU newer than this NVRTC: PTX for the newest architecture below it, compiled by the driver on load
        Assert.Equal(("--gpu-architecture=compute_120", false), Nvrtc.Target(121, supported));
        Assert.Equal(("--gpu-architecture=compute_90", false), Nvrtc.Target(95, supported));
        var e = Assert.Throws<CudaException>(() => Nvrtc.Target(61, supported));
        Assert.Contains("sm_61", e.Message);
    }

    [Fact]
    public void The_cuda_binary_cache_key_changes_with_source_options_device_and_driver()
    {
        var d = new CudaDeviceInfo(0, "NVIDIA H100 80GB HBM3", 90, 132, 80L << 30, 1024, 65535, "13.0");
        string k = CudaProgramCache.Key(d, "src", ["--gpu-architecture=sm_90"]);
        Assert.Equal(k, CudaProgramCache.Key(d, "src", ["--gpu-architecture=sm_90"]));
        Assert.NotEqual(k, CudaProgramCache.Key(d, "src2", ["--gpu-architecture=sm_90"]));
        Assert.NotEqual(k, CudaProgramCache.Key(d, "src", ["--gpu-architecture=compute_90"]));
        Assert.NotEqual(k, CudaProgramCache.Key(d with { DriverVersion = "13.1" }, "src", ["--gpu-architecture=sm_90"]));
        Assert.NotEqual(k, CudaProgramCache.Key(d with { ComputeCapability = 89 }, "src", ["--gpu-architecture=sm_90"]));
    }

    [Fact]
    public void The_caching_allocator_rounds_small_requests_to_512_bytes_and_large_ones_to_2_MiB()
    {
        Assert.Equal(512, CudaMemoryPool.Round(4));
        Assert.Equal(1024, CudaMemoryPool.Round(513));
        Assert.Equal(1 << 20, CudaMemoryPool.Round(1 << 20));
        Assert.Equal(2 << 20, CudaMemoryPool.Round((1 << 20) + 4));
        Assert.Equal(4 << 20, CudaMemoryPool.Round((2 << 20) + 4));
    }

    [Fact]
    public void Doctor_error_is_relative_and_treats_nan_as_infinite()
    {
        Assert.Equal(0.5, Doctor.MaxError([[1f, 0f]], [[2f, 0f]]), 12);
        Assert.Equal(1e-3, Doctor.MaxError([[999f]], [[1000f]]), 9);
        Assert.Equal(double.PositiveInfinity, Doctor.MaxError([[1f]], [[float.NaN]]));
        Assert.Equal(double.PositiveInfinity, Doctor.MaxError([[1f, 2f]], [[1f]]));
    }
}

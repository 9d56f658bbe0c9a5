using GpuNet.Runtime;
using GpuNet.Runtime.OpenCL;
using GpuNet.Tests.Reference;

namespace GpuNet.Tests.Ops;

/// <summary>One OpenCL accelerator shared by a test class (tests of a class run one at a time); created on first use.</summary>
public sealed class OpenClFixture : IDisposable
{
    private OpenClAccelerator? _acc;
    public OpenClAccelerator Acc => _acc ??= new OpenClAccelerator(0);
    public void Dispose() => _acc?.Dispose();
}

/// <summary>The op suite and the kernel-backend tests on opencl:0 (PoCL in CI), convolution algorithm chosen by measurement.</summary>
[RequiresAccelerator("opencl")]
public sealed class OpenClOpTests(OpenClFixture fixture) : KernelBackendTests, IClassFixture<OpenClFixture>
{
    protected override KernelAccelerator Cl => fixture.Acc;
}

/// <summary>The on-disk program cache: hits, misses on any change of source, and recovery from a corrupt entry.</summary>
[RequiresAccelerator("opencl"), Collection(SerialCollection.Name)]
public sealed class OpenClProgramCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-clcache").FullName;
    private readonly string? _saved = Environment.GetEnvironmentVariable("GPUNET_CACHE");

    public OpenClProgramCacheTests() => Environment.SetEnvironmentVariable("GPUNET_CACHE", _dir);
    public void Dispose() { Environment.SetEnvironmentVariable("GPUNET_CACHE", _saved); Directory.Delete(_dir, true); }

    private static float[] FillWith(float v)
    {
        using var acc = new OpenClAccelerator(0);
        using var t = acc.Allocate(10);
        acc.Fill(t, v);
        return t.ToArray();
    }

    [AcceleratorFact]
    public void Binaries_are_reused_rebuilt_when_corrupt_and_keyed_by_the_whole_source()
    {
        int src = OpenClProgramCache.SourceBuilds, hit = OpenClProgramCache.CachedBuilds;
        Assert.All(FillWith(3f), v => Assert.Equal(3f, v));
        Assert.Equal(src + 1, OpenClProgramCache.SourceBuilds);
        var files = Directory.GetFiles(Path.Combine(_dir, "opencl"), "*.bin");
        Assert.Single(files);

        Assert.All(FillWith(4f), v => Assert.Equal(4f, v));
        Assert.Equal(src + 1, OpenClProgramCache.SourceBuilds);
        Assert.Equal(hit + 1, OpenClProgramCache.CachedBuilds);

        File.WriteAllText(files[0], "not a program binary");
        Assert.All(FillWith(5f), v => Assert.Equal(5f, v));
        Assert.Equal(src + 2, OpenClProgramCache.SourceBuilds);

        // any change to the composed source (a define, a prelude, a kernel) is a different key: no stale binary is reused
        var dev = OpenClDevices.All[0];
        string a = KernelSource.Compose("gemm.cl", KernelDialect.OpenCL, GemmParameters.Cpu.Defines(false, false));
        string b = KernelSource.Compose("gemm.cl", KernelDialect.OpenCL, GemmParameters.Cpu.Defines(false, true));
        Assert.NotEqual(OpenClProgramCache.Key(dev, a), OpenClProgramCache.Key(dev, b));
        Assert.NotEqual(OpenClProgramCache.Key(dev, a), OpenClProgramCache.Key(dev with { DriverVersion = dev.DriverVersion + "x" }, a));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection { public const string Name = "serial (process-wide state)"; }

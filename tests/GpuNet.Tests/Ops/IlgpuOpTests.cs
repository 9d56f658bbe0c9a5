using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;
using GpuNet.Tests.Reference;

namespace GpuNet.Tests.Ops;

/// <summary>One ILGPU accelerator shared by a test class (its tests run one at a time); opened on first use.</summary>
public abstract class IlgpuFixture(Func<IlgpuAccelerator> open) : IDisposable
{
    private IlgpuAccelerator? _acc;
    public IlgpuAccelerator Acc => _acc ??= open();
    public void Dispose() => _acc?.Dispose();
}

public sealed class IlgpuCpuFixture() : IlgpuFixture(() => IlgpuDevices.OpenCpu());
public sealed class IlgpuCudaFixture() : IlgpuFixture(() => IlgpuDevices.OpenCuda(0));
public sealed class IlgpuOpenClFixture() : IlgpuFixture(() => IlgpuDevices.OpenOpenCl(0));

/// <summary>
/// The op suite and the ILGPU backend tests on ILGPU's CPU accelerator: the GPU kernels, thread by thread.
/// </summary>
public sealed class IlgpuCpuOpTests(IlgpuCpuFixture fixture) : IlgpuBackendTests, IClassFixture<IlgpuCpuFixture>
{
    protected override IlgpuAccelerator Il => fixture.Acc;
}

/// <summary>The same on cuda:0 through ILGPU (skipped without an NVIDIA driver and GPU).</summary>
[RequiresAccelerator("cuda")]
public sealed class IlgpuCudaOpTests(IlgpuCudaFixture fixture) : IlgpuBackendTests, IClassFixture<IlgpuCudaFixture>
{
    protected override IlgpuAccelerator Il => fixture.Acc;
}

/// <summary>
/// The same on opencl:0 through ILGPU (skipped without an OpenCL 2.0 device with the generic address space).
/// </summary>
[RequiresAccelerator("opencl")]
public sealed class IlgpuOpenClOpTests(IlgpuOpenClFixture fixture) : IlgpuBackendTests,
    IClassFixture<IlgpuOpenClFixture>
{
    protected override IlgpuAccelerator Il => fixture.Acc;
}

/// <summary>
/// What only the ILGPU backend has: both convolution algorithms, GEMM tiling edges and tilings, and every kernel run by
/// <c>gpunet doctor</c> against the CPU accelerator.
/// </summary>
public abstract class IlgpuBackendTests : OpTests
{
    protected abstract IlgpuAccelerator Il { get; }
    protected override Accelerator Acc => Il;

    public static TheoryData<Conv2dGeometry, ConvAlgorithm> ConvCases()
    {
        var d = new TheoryData<Conv2dGeometry, ConvAlgorithm>();
        foreach (var row in ConvShapes())
            foreach (var algo in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Im2colGemm })
                d.Add(row, algo);
        return d;
    }

    [AcceleratorTheory, MemberData(nameof(ConvCases))]
    public void Each_convolution_algorithm_matches_the_reference(Conv2dGeometry g, ConvAlgorithm algo)
    {
        var saved = Il.ConvAlgorithm;
        Il.ConvAlgorithm = algo;
        try { Conv2d_forward_matches_reference(g); Conv2d_backward_matches_finite_differences(g); }
        finally { Il.ConvAlgorithm = saved; }
    }

    public static TheoryData<string, bool, bool> TiledCases()
    {
        var d = new TheoryData<string, bool, bool>();
        foreach (var p in new[] { "device", "1x1 k1", "2x1 k3" })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    d.Add(p, ta, tb);
        return d;
    }

    /// <summary>
    /// The tiled kernel on sizes that are multiples of no tile (plus 1×1 and a single row), with C a block inside a
    /// larger buffer full of sentinels: an out-of-bounds tile edge writes a sentinel, a wrong stage a wrong value.
    /// </summary>
    [AcceleratorTheory, MemberData(nameof(TiledCases))]
    public void Tiled_gemm_is_exact_at_tile_edges_and_writes_nothing_outside_C(string tiling, bool ta, bool tb)
    {
        var saved = Il.GemmTiling;
        Il.GemmTiling = (tiling switch
        {
            "1x1 k1" => new GemmTiling(1, 1, 1),
            "2x1 k3" => new GemmTiling(2, 1, 3),
            _ => saved,
        }) with
        { DirectBelow = 0 };
        try
        {
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 37, 5), (37, 45, 19), (70, 3, 33), (65, 129, 17) })
            {
                int ldc = n + 3, off = 5, total = off + m * ldc + 7;
                float[] a = Rand.Floats(m * k, 1), b = Rand.Floats(k * n, 2);
                float[] cbuf = Enumerable.Repeat(-777f, total).ToArray();
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) cbuf[off + i * ldc + j] = 0.5f;
                var tc = T(cbuf, total);
                Il.Gemm(ta, tb, m, n, k, 1.5f, T(a, ta ? k : m, ta ? m : k), 0, ta ? m : k,
                    T(b, tb ? n : k, tb ? k : n), 0, tb ? k : n, 2f, tc, off, ldc);
                var got = tc.ToArray();
                var expected = Ref.Gemm(ta, tb, m, n, k, 1.5, Rand.D(a), Rand.D(b), 2,
                    Enumerable.Repeat(0.5, m * n).ToArray());
                for (int e = 0; e < total; e++)
                {
                    int i = (e - off) / ldc, j = (e - off) % ldc;
                    bool inside = e >= off && i < m && j < n;
                    if (inside)
                        Assert.True(Math.Abs(got[e] - expected[i * n + j])
                                    <= 1e-4 * Math.Sqrt(k) + 1e-4 * Math.Abs(expected[i * n + j]),
                            $"{tiling} {m}x{n}x{k}: C[{i},{j}] = {got[e]}, expected {expected[i * n + j]}");
                    else Assert.True(got[e] == -777f, $"{tiling} {m}x{n}x{k}: element {e} outside C became {got[e]}");
                }
            }
        }
        finally { Il.GemmTiling = saved; }
    }

    [AcceleratorFact]
    public void Groups_larger_than_the_device_allows_are_a_clear_error()
    {
        var saved = Il.GemmTiling;
        Il.GemmTiling = new GemmTiling(128, 128, 8, DirectBelow: 0);
        try
        {
            var e = Assert.Throws<ArgumentException>(() => Il.Gemm(false, false, 1f, Z(130, 130), Z(130, 130), 0f,
                Z(130, 130)));
            Assert.Contains("128x128 threads exceeds", e.Message);
        }
        finally { Il.GemmTiling = saved; }
    }
}

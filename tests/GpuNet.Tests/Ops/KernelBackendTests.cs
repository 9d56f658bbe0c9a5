using GpuNet.Runtime;
using GpuNet.Tests.Reference;

namespace GpuNet.Tests.Ops;

/// <summary>
/// What only the kernels/ backends (OpenCL, CUDA) have: both convolution algorithms, GEMM tiling edges and parameters,
/// and every kernel run by <c>gpunet doctor</c> against the CPU accelerator.
/// </summary>
public abstract class KernelBackendTests : OpTests
{
    protected abstract KernelAccelerator Cl { get; }
    protected override Accelerator Acc => Cl;

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
        var saved = Cl.ConvAlgorithm;
        Cl.ConvAlgorithm = algo;
        try { Conv2d_forward_matches_reference(g); Conv2d_backward_matches_finite_differences(g); }
        finally { Cl.ConvAlgorithm = saved; }
    }

    public static TheoryData<string, bool, bool> TiledCases()
    {
        var d = new TheoryData<string, bool, bool>();
        foreach (var p in new[] { "cpu", "gpu", "vector" })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    d.Add(p, ta, tb);
        return d;
    }

    /// <summary>
    /// The tiled kernel on sizes that are multiples of no tile (plus 1×1 and a single row), with C a block inside a
    /// larger buffer full of sentinels: a wrong local size fails the launch, an out-of-bounds tile edge writes a sentinel.
    /// </summary>
    [AcceleratorTheory, MemberData(nameof(TiledCases))]
    public void Tiled_gemm_is_exact_at_tile_edges_and_writes_nothing_outside_C(string parameters, bool ta, bool tb)
    {
        var saved = Cl.GemmTuning;
        Cl.GemmTuning = (parameters switch
        {
            "cpu" => GemmParameters.Cpu,
            "gpu" => GemmParameters.Gpu,
            _ => new GemmParameters(Mwg: 32, Nwg: 32, Kwg: 8, Mdimc: 8, Ndimc: 8, Vwm: 2, Vwn: 2, Sa: true, Sb: false),
        }) with { DirectBelow = 0 };
        try
        {
            foreach (var (m, n, k) in new[] { (1, 1, 1), (1, 37, 5), (37, 45, 19), (70, 3, 33), (65, 129, 17) })
            {
                int ldc = n + 3, off = 5, total = off + m * ldc + 7;
                float[] a = Rand.Floats(m * k, 1), b = Rand.Floats(k * n, 2), cbuf = Enumerable.Repeat(-777f, total).ToArray();
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) cbuf[off + i * ldc + j] = 0.5f;
                var tc = T(cbuf, total);
                Cl.Gemm(ta, tb, m, n, k, 1.5f, T(a, ta ? k : m, ta ? m : k), 0, ta ? m : k, T(b, tb ? n : k, tb ? k : n), 0, tb ? k : n, 2f, tc, off, ldc);
                var got = tc.ToArray();
                var expected = Ref.Gemm(ta, tb, m, n, k, 1.5, Rand.D(a), Rand.D(b), 2, Enumerable.Repeat(0.5, m * n).ToArray());
                for (int e = 0; e < total; e++)
                {
                    int i = (e - off) / ldc, j = (e - off) % ldc;
                    bool inside = e >= off && i < m && j < n;
                    if (inside) Assert.True(Math.Abs(got[e] - expected[i * n + j]) <= 1e-4 * Math.Sqrt(k) + 1e-4 * Math.Abs(expected[i * n + j]),
                        $"{parameters} {m}x{n}x{k}: C[{i},{j}] = {got[e]}, expected {expected[i * n + j]}");
                    else Assert.True(got[e] == -777f, $"{parameters} {m}x{n}x{k}: element {e} outside C was overwritten with {got[e]}");
                }
            }
        }
        finally { Cl.GemmTuning = saved; }
    }

    [AcceleratorFact]
    public void Work_groups_larger_than_the_device_allows_are_a_clear_error()
    {
        var saved = Cl.GemmTuning;
        Cl.GemmTuning = new GemmParameters(Mwg: 128, Nwg: 128, Kwg: 8, Mdimc: 128, Ndimc: 128, Vwm: 1, Vwn: 1, Sa: false, Sb: false) { DirectBelow = 0 };
        try
        {
            var e = Assert.ThrowsAny<Exception>(() => Cl.Gemm(false, false, 1f, Z(130, 130), Z(130, 130), 0f, Z(130, 130)));
            Assert.Contains("gemm", e.Message);
        }
        finally { Cl.GemmTuning = saved; }
    }

    [AcceleratorFact]
    public void Doctor_passes_every_op_and_runs_every_kernel()
    {
        var report = Doctor.Run(Cl);
        var failed = report.Checks.Where(c => !c.Passed).Select(c => $"{c.Op}: error {c.MaxError:G3} {c.Error}");
        Assert.True(report.Checks.All(c => c.Passed), "failing ops:\n" + string.Join("\n", failed));
        Assert.True(report.KernelsNotRun.Count == 0, "kernels no check ran: " + string.Join(", ", report.KernelsNotRun));
        Assert.Equal(KernelSource.Kernels.Select(k => k.Kernel).Order(), report.KernelsRun);
        Assert.Null(Cl.LaunchLog);
        Assert.Equal(ConvAlgorithm.Auto, Cl.ConvAlgorithm);
    }

    [AcceleratorFact]
    public void Doctor_reports_an_op_that_throws_as_failed_with_its_error_and_carries_on()
    {
        var saved = Cl.GemmTuning;
        // MWG not a multiple of MDIMC·VWM: every tiled GEMM refuses to run
        Cl.GemmTuning = new GemmParameters(Mwg: 30, Nwg: 32, Kwg: 8, Mdimc: 8, Ndimc: 8, Vwm: 1, Vwn: 1, Sa: false, Sb: false) { DirectBelow = 1000 };
        try
        {
            var report = Doctor.Run(Cl);
            Assert.False(report.Passed);
            var tiled = report.Checks.Single(c => c.Op == "Gemm (70x133x45)");
            Assert.False(tiled.Passed);
            Assert.Contains("MWG must be a multiple", tiled.Error);
            Assert.True(report.Checks.Single(c => c.Op == "Gemm (5x7x9)").Passed, "the direct GEMM still runs");
            Assert.True(report.Checks.Single(c => c.Op == "ReluForward").Passed);
            Assert.Contains("gemm", report.KernelsNotRun);
        }
        finally { Cl.GemmTuning = saved; }
    }
}

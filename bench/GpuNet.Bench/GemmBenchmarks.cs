using BenchmarkDotNet.Attributes;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Bench;

/// <summary>
/// SGEMM C = A·B (square, row-major, fp32) on the CPU accelerator next to OpenBLAS
/// cblas_sgemm in the same process, all on all cores. The Ratio column is GpuNet time / OpenBLAS time (below 1 is
/// faster than OpenBLAS).
/// </summary>
[MemoryDiagnoser(false)]
public unsafe class GemmBenchmarks
{
    private CpuAccelerator _acc = null!, _avx2 = null!;
    private Tensor _a = null!, _b = null!, _c = null!, _a2 = null!, _b2 = null!, _c2 = null!;
    private float[] _ha = [], _hb = [], _hc = [];

    [Params(512, 1024, 2048)]
    public int N;

    [GlobalSetup]
    public void Setup()
    {
        _acc = new CpuAccelerator();
        _avx2 = new CpuAccelerator { WideGemm = false };
        var r = new Random(1);
        _ha = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        _hb = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        _hc = new float[N * N];
        _a = _acc.FromHost(_ha, N, N); _b = _acc.FromHost(_hb, N, N); _c = _acc.Zeros(N, N);
        _a2 = _avx2.FromHost(_ha, N, N); _b2 = _avx2.FromHost(_hb, N, N); _c2 = _avx2.Zeros(N, N);
        OpenBlas.SetThreads(Environment.ProcessorCount);
    }

    [Benchmark(Baseline = true, Description = "OpenBLAS cblas_sgemm")]
    public void OpenBlasSgemm()
    {
        fixed (float* a = _ha, b = _hb, c = _hc)
            OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, OpenBlas.NoTrans, N, N, N, 1f, a, N, b, N, 0f, c, N);
    }

    [Benchmark(Description = "GpuNet cpu Gemm")]
    public void GpuNetGemm() => _acc.Gemm(false, false, 1f, _a, _b, 0f, _c);

    [Benchmark(Description = "GpuNet cpu Gemm, 6x16 AVX2 kernel")]
    public void GpuNetGemmAvx2() => _avx2.Gemm(false, false, 1f, _a2, _b2, 0f, _c2);

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose(); _b.Dispose(); _c.Dispose(); _acc.Dispose();
        _a2.Dispose(); _b2.Dispose(); _c2.Dispose(); _avx2.Dispose();
    }
}

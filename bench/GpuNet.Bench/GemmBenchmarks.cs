using BenchmarkDotNet.Attributes;
using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Bench;

/// <summary>
/// SGEMM C = A·B (square, row-major, fp32) on the CPU accelerator and on opencl:0 (PoCL here) next to OpenBLAS
/// cblas_sgemm in the same process, all on all cores. The Ratio column is GpuNet time / OpenBLAS time (below 1 is faster than OpenBLAS).
/// </summary>
[MemoryDiagnoser(false)]
public unsafe class GemmBenchmarks
{
    private CpuAccelerator _acc = null!;
    private Tensor _a = null!, _b = null!, _c = null!;
    private GpuNet.Runtime.OpenCL.OpenClAccelerator? _cl;
    private Tensor? _clA, _clB, _clC;
    private float[] _ha = [], _hb = [], _hc = [];

    [Params(512, 1024, 2048)]
    public int N;

    [GlobalSetup]
    public void Setup()
    {
        _acc = new CpuAccelerator();
        var r = new Random(1);
        _ha = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        _hb = Enumerable.Range(0, N * N).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
        _hc = new float[N * N];
        _a = _acc.FromHost(_ha, N, N); _b = _acc.FromHost(_hb, N, N); _c = _acc.Zeros(N, N);
        OpenBlas.SetThreads(Environment.ProcessorCount);
        if (GpuNet.Runtime.Devices.OpenClUnavailable is null)
        {
            _cl = new GpuNet.Runtime.OpenCL.OpenClAccelerator(0);
            _clA = _cl.FromHost(_ha, N, N); _clB = _cl.FromHost(_hb, N, N); _clC = _cl.Zeros(N, N);
        }
    }

    [Benchmark(Baseline = true, Description = "OpenBLAS cblas_sgemm")]
    public void OpenBlasSgemm()
    {
        fixed (float* a = _ha, b = _hb, c = _hc)
            OpenBlas.Sgemm(OpenBlas.RowMajor, OpenBlas.NoTrans, OpenBlas.NoTrans, N, N, N, 1f, a, N, b, N, 0f, c, N);
    }

    [Benchmark(Description = "GpuNet cpu Gemm")]
    public void GpuNetGemm() => _acc.Gemm(false, false, 1f, _a, _b, 0f, _c);

    [Benchmark(Description = "GpuNet opencl:0 Gemm")]
    public void OpenClGemm()
    {
        if (_cl is null) throw new InvalidOperationException("no OpenCL device");
        _cl.Gemm(false, false, 1f, _clA!, _clB!, 0f, _clC!);
        _cl.Synchronize();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a.Dispose(); _b.Dispose(); _c.Dispose(); _acc.Dispose();
        _clA?.Dispose(); _clB?.Dispose(); _clC?.Dispose(); _cl?.Dispose();
    }
}

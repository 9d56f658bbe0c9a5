using System.Diagnostics;
using System.Runtime.InteropServices;
using GpuNet.Runtime;
using GpuNet.Runtime.Cuda;

namespace GpuNet.Bench;

/// <summary>
/// cuBLAS, for side-by-side comparisons only (the engine never links it): found as $GPUNET_CUBLAS, then libcublas.so,
/// .so.13, .so.12 on the loader's path and in /usr/local/cuda/lib64.
/// </summary>
internal static unsafe class Cublas
{
    private static readonly nint Lib = Load();
    public static bool Available => Lib != 0;

    private static nint Load()
    {
        string[] names = ["libcublas.so", "libcublas.so.13", "libcublas.so.12"];
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("GPUNET_CUBLAS") is { Length: > 0 } f) candidates.Add(f);
        candidates.AddRange(names);
        candidates.AddRange(names.Select(n => Path.Combine("/usr/local/cuda/lib64", n)));
        foreach (var c in candidates) if (NativeLibrary.TryLoad(c, out var h)) return h;
        return 0;
    }

    public static nint Create()
    {
        nint handle;
        Check(((delegate* unmanaged<nint*, int>)NativeLibrary.GetExport(Lib, "cublasCreate_v2"))(&handle), "cublasCreate_v2");
        // CUBLAS_DEFAULT_MATH: FP32 SGEMM without TF32 tensor cores (the fair comparison with an FP32 kernel)
        Check(((delegate* unmanaged<nint, int, int>)NativeLibrary.GetExport(Lib, "cublasSetMathMode"))(handle, 0), "cublasSetMathMode");
        return handle;
    }

    public static void SetStream(nint handle, nint stream) =>
        Check(((delegate* unmanaged<nint, nint, int>)NativeLibrary.GetExport(Lib, "cublasSetStream_v2"))(handle, stream), "cublasSetStream_v2");

    /// <summary>Row-major C (m, n) = A (m, k) · B (k, n): column-major cuBLAS computes Cᵀ = Bᵀ · Aᵀ with the operands swapped.</summary>
    public static void SgemmRowMajor(nint handle, int m, int n, int k, ulong a, ulong b, ulong c)
    {
        float alpha = 1f, beta = 0f;
        var sgemm = (delegate* unmanaged<nint, int, int, int, int, int, float*, ulong, int, ulong, int, float*, ulong, int, int>)NativeLibrary.GetExport(Lib, "cublasSgemm_v2");
        Check(sgemm(handle, 0, 0, n, m, k, &alpha, b, n, a, k, &beta, c, n), "cublasSgemm_v2");
    }

    public static void Destroy(nint handle) => ((delegate* unmanaged<nint, int>)NativeLibrary.GetExport(Lib, "cublasDestroy_v2"))(handle);

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with cuBLAS status {status}");
    }
}

/// <summary>
/// SGEMM N³ (row-major, FP32) on a CUDA accelerator next to cublasSgemm on the same device pointers and stream, in
/// one process: median of R timed runs after warm-ups, GFLOP/s, the ratio GpuNet time / cuBLAS time, and the largest
/// difference between the two results.
/// </summary>
internal static class CudaGemm
{
    public static int Run(int[] sizes, string device, int reps)
    {
        if (!Cublas.Available) { Console.Error.WriteLine("error: cuBLAS not found (libcublas.so; set GPUNET_CUBLAS to its path)"); return 1; }
        using var acc = (CudaAccelerator)Devices.Open(device);
        Console.WriteLine($"{acc.Name}: {acc.Description}");
        nint handle = Cublas.Create();
        try
        {
            Cublas.SetStream(handle, acc.Stream);
            Console.WriteLine("| N | GpuNet ms | cuBLAS ms | GpuNet GFLOP/s | cuBLAS GFLOP/s | GpuNet / cuBLAS time | max rel. difference |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (int n in sizes)
            {
                var r = new Random(n);
                var host = Enumerable.Range(0, n * n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
                using var a = acc.FromHost(host, n, n);
                using var b = acc.FromHost(host.Reverse().ToArray(), n, n);
                using var c1 = acc.Zeros(n, n);
                using var c2 = acc.Zeros(n, n);
                double ours = Median(acc, reps, () => acc.Gemm(false, false, 1f, a, b, 0f, c1));
                double theirs = Median(acc, reps, () => Cublas.SgemmRowMajor(handle, n, n, n, CudaAccelerator.Pointer(a), CudaAccelerator.Pointer(b), CudaAccelerator.Pointer(c2)));
                float[] x = c1.ToArray(), y = c2.ToArray();
                double diff = 0;
                for (int i = 0; i < x.Length; i++) diff = Math.Max(diff, Math.Abs(x[i] - y[i]) / (1 + Math.Abs(y[i])));
                double flop = 2.0 * n * n * n;
                Console.WriteLine($"| {n} | {ours:F3} | {theirs:F3} | {flop / ours / 1e6:F0} | {flop / theirs / 1e6:F0} | {ours / theirs:F2} | {diff:G2} |");
            }
        }
        finally { Cublas.Destroy(handle); }
        return 0;
    }

    private static double Median(Accelerator acc, int reps, Action run)
    {
        for (int i = 0; i < 2; i++) run();
        acc.Synchronize();
        var times = new List<double>();
        for (int i = 0; i < reps; i++)
        {
            var sw = Stopwatch.StartNew();
            run();
            acc.Synchronize();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }
}

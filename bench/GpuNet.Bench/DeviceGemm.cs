using System.Diagnostics;
using GpuNet.Runtime;

namespace GpuNet.Bench;

/// <summary>
/// SGEMM C = A·B (square, row-major, FP32) on an ILGPU device: the median of REPS timed calls after a warm-up, each
/// waited for, in ms and GFLOP/s, checked against a double-precision sample of C. bench/pytorch_mm.py times cuBLAS
/// (torch.mm, TF32 off) on the same sizes and GPU; bench/gpu-session.sh puts the two side by side.
/// </summary>
internal static class DeviceGemm
{
    public static int Run(int[] sizes, string device, int reps)
    {
        using var acc = Devices.Open(device);
        Console.WriteLine($"{acc.Name}: {acc.Description}");
        Console.WriteLine("| N | GpuNet ms (median) | GpuNet GFLOP/s | max rel. error (64 sampled entries) |");
        Console.WriteLine("|---|---|---|---|");
        foreach (int n in sizes)
        {
            var r = new Random(n);
            float[] ha = Enumerable.Range(0, n * n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
            float[] hb = Enumerable.Range(0, n * n).Select(_ => (float)r.NextDouble() - 0.5f).ToArray();
            using var a = acc.FromHost(ha, n, n);
            using var b = acc.FromHost(hb, n, n);
            using var c = acc.Zeros(n, n);
            acc.Gemm(false, false, 1f, a, b, 0f, c);
            acc.Synchronize();
            var times = new List<double>();
            for (int i = 0; i < reps; i++)
            {
                var sw = Stopwatch.StartNew();
                acc.Gemm(false, false, 1f, a, b, 0f, c);
                acc.Synchronize();
                times.Add(sw.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double ms = times[times.Count / 2], gflops = 2.0 * n * n * n / (ms * 1e6);
            var hc = c.ToArray();
            double worst = 0;
            for (int s = 0; s < 64; s++)
            {
                int i = r.Next(n), j = r.Next(n);
                double sum = 0;
                for (int p = 0; p < n; p++) sum += (double)ha[i * n + p] * hb[p * n + j];
                worst = Math.Max(worst, Math.Abs(hc[i * n + j] - sum) / (1 + Math.Abs(sum)));
            }
            Console.WriteLine($"| {n} | {ms:F3} | {gflops:F0} | {worst:0.0e+00} |");
        }
        return 0;
    }
}

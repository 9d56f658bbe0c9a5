using System.Diagnostics;
using GpuNet.Runtime;
using GpuNet.Runtime.OpenCL;

namespace GpuNet.Bench;

/// <summary>
/// Times the tiled OpenCL GEMM at N×N×N for a grid of parameter sets (CLBlast's tuner idea, in small) and prints
/// GFLOP/s for each, best last. The winner is what GemmParameters.For should return for that kind of device.
/// </summary>
internal static class GemmTune
{
    public static int Run(int n, int device)
    {
        using var acc = new OpenClAccelerator(device);
        var r = new Random(1);
        using var a = acc.FromHost(Enumerable.Range(0, n * n).Select(_ => (float)r.NextDouble()).ToArray(), n, n);
        using var b = acc.FromHost(Enumerable.Range(0, n * n).Select(_ => (float)r.NextDouble()).ToArray(), n, n);
        using var c = acc.Zeros(n, n);
        var results = new List<(GemmParameters P, double Gflops)>();
        Console.WriteLine($"tuning SGEMM {n}x{n}x{n} on {acc.Name}: {acc.Description}");
        foreach (var p in Candidates())
        {
            try
            {
                acc.GemmTuning = p with { DirectBelow = 0 };
                acc.Gemm(false, false, 1f, a, b, 0f, c); acc.Synchronize();   // build + warm up
                var sw = Stopwatch.StartNew();
                int reps = 0;
                do { acc.Gemm(false, false, 1f, a, b, 0f, c); acc.Synchronize(); reps++; } while (sw.Elapsed.TotalSeconds < 1.0 && reps < 20);
                double gflops = 2.0 * n * n * n * reps / sw.Elapsed.TotalSeconds / 1e9;
                results.Add((p, gflops));
                Console.WriteLine($"{gflops,8:F1} GFLOP/s  {p}");
            }
            catch (Exception e) { Console.WriteLine($"  failed  {p}: {e.Message.Split('\n')[0]}"); }
        }
        var best = results.MaxBy(x => x.Gflops);
        Console.WriteLine($"best: {best.Gflops:F1} GFLOP/s with {best.P}");
        return 0;
    }

    private static IEnumerable<GemmParameters> Candidates()
    {
        yield return GemmParameters.Cpu;
        yield return GemmParameters.Gpu;
        // one work item per register tile of MWI rows × NWI contiguous columns held in VWN-wide vectors (CPU drivers)
        foreach (var (mwi, nwi, vwn) in new[] { (8, 16, 16), (6, 32, 16), (8, 32, 16), (8, 48, 16), (10, 32, 16), (12, 32, 16), (14, 32, 16), (4, 96, 16), (16, 16, 16), (24, 16, 16) })
            foreach (int ndimc in new[] { 1 })
                yield return new GemmParameters(Mwg: mwi, Nwg: nwi * ndimc, Kwg: 32, Mdimc: 1, Ndimc: ndimc, Vwm: mwi, Vwn: vwn, Sa: false, Sb: false);
    }
}

using System.Diagnostics;
using GpuNet.Distributed;

namespace GpuNet.Bench;

/// <summary>
/// MPI_Iallreduce + MPI_Wait of N floats (sum, in place) between the ranks of an mpirun job, as the gradient buckets
/// of data-parallel training are reduced: median and fastest ms over the timed calls, printed by rank 0.
/// Run it under mpirun: <c>mpirun -np 2 dotnet bench/GpuNet.Bench/bin/Release/net10.0/GpuNet.Bench.dll allreduce</c>.
/// </summary>
internal static unsafe class AllreduceBench
{
    public static int Run(int[] sizes, int reps)
    {
        if (!DataParallel.UnderMpirun)
        {
            Console.Error.WriteLine("error: allreduce times MPI between ranks; run it under mpirun -np 2 (or more)");
            return 2;
        }
        Mpi.Load();
        var (rank, size) = Mpi.Init();
        if (rank == 0)
        {
            Console.WriteLine($"MPI_Iallreduce + MPI_Wait, float sum in place, {size} ranks, {reps} timed calls each");
            Console.WriteLine("| floats | MiB | median ms | fastest ms | GB/s (algorithm bytes: 2·(n−1)/n · size) |");
            Console.WriteLine("|---|---|---|---|---|");
        }
        foreach (int n in sizes)
        {
            var buf = GC.AllocateArray<float>(n, pinned: true);
            var ms = new double[reps];
            fixed (float* p = buf)
                for (int i = -3; i < reps; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    nint request = Mpi.IallreduceSum(p, n);
                    Mpi.Wait(ref request);
                    if (i >= 0) ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
            Array.Sort(ms);
            double median = ms[reps / 2], bytes = 2.0 * (size - 1) / size * n * sizeof(float);
            if (rank == 0)
                Console.WriteLine($"| {n:N0} | {n * 4 / 1048576.0:F2} | {median:F3} | {ms[0]:F3} | " +
                                  $"{bytes / (median / 1000) / 1e9:F2} |");
        }
        Mpi.Shutdown();
        return 0;
    }
}

namespace GpuNet.Runtime;

/// <summary>
/// Tuning parameters of the tiled <c>gemm</c> kernel (CLBlast's names), passed as #defines. One kernel source serves
/// CPUs (register tiling, no local memory) and GPUs (local-memory tiling) through these values alone.
/// </summary>
public sealed record GemmParameters(int Mwg, int Nwg, int Kwg, int Mdimc, int Ndimc, int Vwm, int Vwn, bool Sa, bool Sb)
{
    /// <summary>Problems with fewer multiply-adds than this use <c>gemm_direct</c>.</summary>
    public long DirectBelow { get; init; } = 1 << 15;

    /// <summary>
    /// For CPU drivers (PoCL): one work item per 8×16 tile held in one AVX-512-wide vector per row (the vector path of
    /// gemm.cl), no local memory. Chosen with `bench/run.sh gemm-tune` (bench/RESULTS.md).
    /// </summary>
    public static readonly GemmParameters Cpu = new(Mwg: 8, Nwg: 16, Kwg: 32, Mdimc: 1, Ndimc: 1, Vwm: 8, Vwn: 16, Sa: false, Sb: false);

    /// <summary>For GPUs (OpenCL and CUDA): 64×64 tiles cached in local memory, 16×16 work items each owning 4×4 results.</summary>
    public static readonly GemmParameters Gpu = new(Mwg: 64, Nwg: 64, Kwg: 16, Mdimc: 16, Ndimc: 16, Vwm: 1, Vwn: 1, Sa: true, Sb: true);

    public void Validate()
    {
        if (Mwg % (Mdimc * Vwm) != 0 || Nwg % (Ndimc * Vwn) != 0)
            throw new ArgumentException($"GEMM parameters {this}: MWG must be a multiple of MDIMC·VWM and NWG of NDIMC·VWN");
    }

    public KeyValuePair<string, string>[] Defines(bool transA, bool transB) =>
    [
        new("MWG", Mwg.ToString()), new("NWG", Nwg.ToString()), new("KWG", Kwg.ToString()),
        new("MDIMC", Mdimc.ToString()), new("NDIMC", Ndimc.ToString()), new("VWM", Vwm.ToString()), new("VWN", Vwn.ToString()),
        new("SA", Sa ? "1" : "0"), new("SB", Sb ? "1" : "0"), new("TRANS_A", transA ? "1" : "0"), new("TRANS_B", transB ? "1" : "0"),
    ];
}

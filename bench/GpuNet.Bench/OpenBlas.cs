using System.Runtime.InteropServices;

namespace GpuNet.Bench;

/// <summary>
/// Debian's OpenBLAS (package libopenblas0), for side-by-side comparisons only; the engine never links it.
/// OpenBLAS does not detect this AVX-512 Zen 4 CPU: run with OPENBLAS_CORETYPE=SkylakeX (bench/run.sh sets it).
/// </summary>
internal static unsafe partial class OpenBlas
{
    private const string Lib = "libopenblas.so.0";
    public const int RowMajor = 101, NoTrans = 111, Trans = 112;

    [LibraryImport(Lib, EntryPoint = "cblas_sgemm")]
    public static partial void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(Lib, EntryPoint = "openblas_set_num_threads")]
    public static partial void SetThreads(int threads);

    [LibraryImport(Lib, EntryPoint = "openblas_get_corename")]
    private static partial nint CoreName();

    public static string Core => Marshal.PtrToStringAnsi(CoreName()) ?? "?";

    public static bool Available => NativeLibrary.TryLoad(Lib, out _);
}

using System.Diagnostics;
using GpuNet.Runtime;

namespace GpuNet.Tests.Ops;

/// <summary>
/// No GPU here, but the CUDA dialect can still be checked: every kernel file composed with prelude_cuda.h must be valid
/// C++ (g++ -fsyntax-only, with stand-ins for what NVRTC provides). Catches OpenCL-only syntax that would break NVRTC,
/// such as a __local pointer parameter, an OpenCL type (uint, half) or a vector operator outside #ifndef CUDA.
/// </summary>
[RequiresAccelerator("g++")]
public sealed class CudaDialectTests
{
    private const string Stub = """
        #define __device__
        #define __global__
        #define __shared__ static
        struct dim3_stub { unsigned x, y, z; };
        extern dim3_stub threadIdx, blockIdx, blockDim, gridDim;
        inline void __syncthreads() {}
        #include <cmath>
        using std::exp; using std::log; using std::pow; using std::sqrt; using std::tanh; using std::fabs; using std::fmax; using std::fmin;
        inline int min(int a, int b) { return a < b ? a : b; }
        inline int max(int a, int b) { return a > b ? a : b; }
        inline float fma(float a, float b, float c) { return a * b + c; }
        """;

    public static TheoryData<string> Files() => new(KernelSource.Files);

    [AcceleratorTheory, MemberData(nameof(Files))]
    public void Kernel_file_composed_for_cuda_is_valid_cpp(string file)
    {
        string path = Path.Combine(Path.GetTempPath(), $"gpunet-cuda-{Environment.ProcessId}-{file}.cu");
        File.WriteAllText(path, Stub + "\n" + KernelSource.Compose(file, KernelDialect.Cuda));
        try
        {
            var psi = new ProcessStartInfo("g++", ["-std=c++17", "-fsyntax-only", "-x", "c++", path]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, $"kernels/{file} with the CUDA prelude is not valid C++:\n{err}");
        }
        finally { File.Delete(path); }
    }
}

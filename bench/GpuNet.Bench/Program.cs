using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GpuNet.Bench;

// Usage (bench/run.sh sets OPENBLAS_CORETYPE and builds Release):
//   GpuNet.Bench gemm                       SGEMM 512/1024/2048 against OpenBLAS (BenchmarkDotNet, in-process)
//   GpuNet.Bench lenet-epoch [MNIST] [E] [DEVICE]   LeNet-5 training epochs over 60,000 MNIST images
//   GpuNet.Bench device-gemm [SIZES] [DEVICE] [REPS]  SGEMM N³ on an ILGPU device (cuda:0), GFLOP/s
//   GpuNet.Bench layers [MODEL] [BATCH] [STEPS] [DEVICE]   forward/backward time per layer
//   GpuNet.Bench pipeline DIR [MODEL] [ROUNDS] [WORKERS]   input pipeline images/s vs raw TurboJPEG decode
string mode = args.Length > 0 ? args[0] : "help";
switch (mode)
{
    case "gemm":
        if (!OpenBlas.Available) { Console.Error.WriteLine("error: libopenblas.so.0 not found (apt-get install libopenblas0)"); return 1; }
        Console.WriteLine($"OpenBLAS core: {OpenBlas.Core} (OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "unset"})");
        var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10);
        BenchmarkRunner.Run<GemmBenchmarks>(DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator), args[1..]);
        return 0;
    case "layers":
        return LayerTimes.Run(args.Length > 1 ? args[1] : "lenet5", args.Length > 2 ? int.Parse(args[2]) : 32, args.Length > 3 ? int.Parse(args[3]) : 50, args.Length > 4 ? args[4] : "cpu");   // DEVICE may list several: cpu,cuda:0
    case "pipeline":
        if (args.Length < 2) { Console.Error.WriteLine("usage: pipeline DIR [MODEL] [ROUNDS] [WORKERS]"); return 2; }
        return PipelineRate.Run(args[1], args.Length > 2 ? args[2] : "alexnet-small", args.Length > 3 ? int.Parse(args[3]) : 5, args.Length > 4 ? int.Parse(args[4]) : 0);
    case "lenet-epoch":
        return LeNetEpoch.Run(args.Length > 1 ? args[1] : "data/mnist", args.Length > 2 ? int.Parse(args[2]) : 3, 32,
            args.Length > 3 ? args[3] : "cpu");
    case "device-gemm":
        return DeviceGemm.Run((args.Length > 1 ? args[1] : "1024,2048,4096,8192").Split(',').Select(int.Parse).ToArray(),
            args.Length > 2 ? args[2] : "cuda:0", args.Length > 3 ? int.Parse(args[3]) : 10);
    default:
        Console.WriteLine("GpuNet benchmarks\n  gemm                      SGEMM 512/1024/2048: GpuNet CPU accelerator vs OpenBLAS, same process\n  lenet-epoch [MNIST] [E] [DEVICE]   time E LeNet-5 training epochs over the 60,000 MNIST images (default data/mnist, 3, cpu)\n  layers [MODEL] [BATCH] [STEPS] [DEVICE]   forward/backward ms per layer on each device of a comma list (default lenet5 32 50 cpu)\n  pipeline DIR [MODEL] [ROUNDS] [WORKERS]   decode+augment+batch images/s next to raw TurboJPEG decode of the same files (default alexnet-small 5, all cores)\n  device-gemm [SIZES] [DEVICE] [REPS]   SGEMM N³ on an ILGPU device, GFLOP/s (default 1024,2048,4096,8192 cuda:0 10); bench/pytorch_mm.py times cuBLAS on the same sizes");
        return mode == "help" ? 0 : 2;
}

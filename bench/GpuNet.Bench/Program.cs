using System.CommandLine;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using GpuNet.Bench;

// bench/run.sh builds Release, sets OPENBLAS_CORETYPE and runs this; every command has --help. Arguments are
// positional with defaults, so `bench/run.sh layers alexnet 16 5 cpu` reads as it always has.
var root = new RootCommand("GpuNet benchmarks: side by side in one run, figures with the machine in bench/RESULTS.md");

var gemm = new Command("gemm", "SGEMM 512/1024/2048: the CPU accelerator's GEMM (both micro-kernels) beside OpenBLAS " +
    "in the same process (BenchmarkDotNet, in-process); extra arguments go to BenchmarkDotNet")
{ TreatUnmatchedTokensAsErrors = false };
gemm.SetAction(r =>
{
    if (!OpenBlas.Available)
    {
        Console.Error.WriteLine("error: libopenblas.so.0 not found (apt-get install libopenblas0)");
        return 1;
    }
    Console.WriteLine($"OpenBLAS core: {OpenBlas.Core} " +
                      $"(OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "unset"})");
    var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10);
    BenchmarkRunner.Run<GemmBenchmarks>(
        DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator),
        [.. r.UnmatchedTokens]);
    return 0;
});
root.Subcommands.Add(gemm);

static Argument<T> Arg<T>(string name, string description, T value) =>
    new(name) { Description = description, DefaultValueFactory = _ => value };

var lModel = Arg("model", "lenet5, alexnet or alexnet-small", "lenet5");
var lBatch = Arg("batch", "images per batch", 32);
var lSteps = Arg("steps", "timed steps after 3 warm-up steps", 50);
var lDevices = Arg("devices", "devices side by side, a comma list such as cpu,cuda:0", "cpu");
var layers =
    new Command("layers", "Forward and backward ms of every layer, one column per device, the same weights and " +
    "inputs on each") { lModel, lBatch, lSteps, lDevices };
layers.SetAction(r =>
    LayerTimes.Run(r.GetValue(lModel)!, r.GetValue(lBatch), r.GetValue(lSteps), r.GetValue(lDevices)!));
root.Subcommands.Add(layers);

var cModel = Arg("model", "lenet5, alexnet or alexnet-small", "alexnet-small");
var cBatch = Arg("batch", "images per batch", 128);
var cRounds = Arg("rounds", "rounds over all the ops; the least of each op's per-round medians is reported", 5);
var cDevice = Arg("device", "the device", "cpu");
var convOps = new Command("conv-ops", "Forward, backward-data and backward-filter ms of each convolution of a model, " +
    "each op timed alone on random data") { cModel, cBatch, cRounds, cDevice };
convOps.SetAction(r =>
    ConvOps.Run(r.GetValue(cModel)!, r.GetValue(cBatch), r.GetValue(cRounds), r.GetValue(cDevice)!));
root.Subcommands.Add(convOps);

var pDir = new Argument<string>("dir") { Description = "an image folder (e.g. from gpunet make-shapes)" };
var pModel = Arg("model", "the model whose transforms run", "alexnet-small");
var pRounds = Arg("rounds", "alternating rounds of at least 20,000 images", 5);
var pWorkers = Arg("workers", "loader threads (0: one per core)", 0);
var pipeline = new Command("pipeline", "The input pipeline's images/s (decode, augment, batch) beside the raw decode " +
    "of the same files through TurboJPEG and SkiaSharp") { pDir, pModel, pRounds, pWorkers };
pipeline.SetAction(r =>
    PipelineRate.Run(r.GetValue(pDir)!, r.GetValue(pModel)!, r.GetValue(pRounds), r.GetValue(pWorkers)));
root.Subcommands.Add(pipeline);

var eMnist = Arg("mnist", "the MNIST image folders", "data/mnist");
var eEpochs = Arg("epochs", "epochs to time", 3);
var eDevice = Arg("device", "the device", "cpu");
var lenet =
    new Command("lenet-epoch", "LeNet-5 training epochs over the 60,000 MNIST images, stepping as the trainer " +
    "does (batch 32, the default recipe), with RSS after each epoch") { eMnist, eEpochs, eDevice };
lenet.SetAction(r => LeNetEpoch.Run(r.GetValue(eMnist)!, r.GetValue(eEpochs), 32, r.GetValue(eDevice)!));
root.Subcommands.Add(lenet);

var gSizes = Arg("sizes", "square sizes N, a comma list", "1024,2048,4096,8192");
var gDevice = Arg("device", "an ILGPU device", "cuda:0");
var gReps = Arg("reps", "timed calls (median reported)", 10);
var deviceGemm = new Command("device-gemm", "SGEMM N³ on an ILGPU device in ms and GFLOP/s, checked against a double " +
    "sample; bench/pytorch_mm.py times cuBLAS on the same sizes") { gSizes, gDevice, gReps };
deviceGemm.SetAction(r => DeviceGemm.Run(r.GetValue(gSizes)!.Split(',').Select(int.Parse).ToArray(),
    r.GetValue(gDevice)!, r.GetValue(gReps)));
root.Subcommands.Add(deviceGemm);

var aSizes = Arg("sizes", "floats per reduction, a comma list (LeNet-5's 61,706 gradients, alexnet-small's, 1M)",
    "61706,1048576,4194304");
var aReps = Arg("reps", "timed calls per size (median reported)", 50);
var allreduce = new Command("allreduce", "MPI allreduce (sum of floats, in place) between the ranks of an mpirun " +
    "job, as data-parallel training reduces its gradient buckets; run under mpirun -np 2") { aSizes, aReps };
allreduce.SetAction(r => AllreduceBench.Run(r.GetValue(aSizes)!.Split(',').Select(int.Parse).ToArray(),
    r.GetValue(aReps)));
root.Subcommands.Add(allreduce);

return root.Parse(args).Invoke();

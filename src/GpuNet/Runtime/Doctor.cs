using System.Diagnostics;
using System.Reflection;
using GpuNet.Runtime.Cpu;
using GpuNet.Runtime.Ilgpu;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;

namespace GpuNet.Runtime;

/// <summary>
/// One op checked on a device against the CPU accelerator: the largest error, whether it is within tolerance, and the
/// exception's message when the op threw.
/// </summary>
public sealed record DoctorCheck(string Op, double MaxError, double Tolerance, double Milliseconds,
    string? Error = null)
{
    /// <summary>The op ran and every output element is within tolerance.</summary>
    public bool Passed => Error is null && MaxError <= Tolerance;
}

/// <summary>
/// What <see cref="Doctor.Run"/> found on one device: its name and description, its compute capability (CUDA), driver
/// version and the ILGPU version (null where they do not apply), each check, and the kernels of
/// <see cref="KernelCatalog"/> the checks launched and did not launch (both empty off ILGPU).
/// </summary>
public sealed record DoctorReport(string Device, string Description, string? ComputeCapability, string? Driver,
    string? Ilgpu, IReadOnlyList<DoctorCheck> Checks, IReadOnlyList<string> KernelsRun,
    IReadOnlyList<string> KernelsNotRun)
{
    /// <summary>
    /// Every check passed and every kernel of the catalogue ran: a kernel no check reached is unverified.
    /// </summary>
    public bool Passed => Checks.All(c => c.Passed) && KernelsNotRun.Count == 0;
}

/// <summary>
/// Runs every op of the accelerator on a device against the CPU accelerator on small random inputs (the same inputs on
/// both) and reports the largest error per op. On an ILGPU accelerator both convolution algorithms run and every GEMM
/// transposition runs through both the tiled kernel and GemmDirect, and the report lists any kernel of
/// <see cref="KernelCatalog"/> that no check launched. This is the check people run after installing a driver, and the
/// way CUDA is verified where the test suite cannot run.
/// Error measure: max |device − cpu| / (1 + |cpu|) over every output element.
/// </summary>
public static class Doctor
{
    private const double Tolerance = 1e-4;

    /// <summary>
    /// An op's inputs and outputs on one accelerator; the inputs are the same on every accelerator for a seed.
    /// </summary>
    public sealed class Case(Accelerator acc, int seed) : IDisposable
    {
        private readonly Random _rng = new(seed);
        private readonly List<Tensor> _all = [];
        private readonly List<Tensor> _results = [];

        /// <summary>The accelerator the op runs on.</summary>
        public Accelerator Acc { get; } = acc;

        /// <summary>Normal(0, scale) values.</summary>
        public Tensor Rand(float scale, params int[] shape) => Input(shape, _ => scale * Normal());

        /// <summary>Normal(0, 1) values.</summary>
        public Tensor Rand(params int[] shape) => Rand(1f, shape);

        /// <summary>Uniform values in [lo, hi).</summary>
        public Tensor Uniform(float lo, float hi, params int[] shape) =>
            Input(shape, _ => lo + (hi - lo) * (float)_rng.NextDouble());

        /// <summary>Class indices in [0, classes) as floats.</summary>
        public Tensor Labels(int n, int classes) => Input([n], _ => _rng.Next(classes));

        /// <summary>A tensor of <paramref name="shape"/> whose element i is value(i), freed with the case.</summary>
        public Tensor Input(int[] shape, Func<int, float> value)
        {
            var host = new float[Shapes.Product(shape)];
            for (int i = 0; i < host.Length; i++) host[i] = value(i);
            var t = Acc.FromHost(host, shape);
            _all.Add(t);
            return t;
        }

        /// <summary>An output, pre-filled with random values (ops that overwrite must overwrite all of it).</summary>
        public Tensor Out(params int[] shape) => Result(Rand(shape));

        /// <summary>Marks a tensor (an input updated in place, say) as compared.</summary>
        public Tensor Result(Tensor t) { _results.Add(t); return t; }

        /// <summary>The compared tensors' values, after the device finished.</summary>
        public float[][] Results() { Acc.Synchronize(); return _results.Select(t => t.ToArray()).ToArray(); }

        private float Normal()
        {
            double u = 1 - _rng.NextDouble(), v = _rng.NextDouble();
            return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        public void Dispose() { foreach (var t in _all) t.Dispose(); }
    }

    /// <summary>The checks in order: an op's name and its body (which allocates its tensors through a case).</summary>
    public static IReadOnlyList<(string Op, Action<Case> Body)> Checks { get; } = BuildChecks();

    /// <summary>
    /// Runs every check on <paramref name="device"/>; <paramref name="progress"/> hears each op as it finishes. An op
    /// that throws fails its check with the message and the rest still run. The device's settings (launch log,
    /// convolution algorithm, GEMM tiling) are as before afterwards.
    /// </summary>
    public static DoctorReport Run(Accelerator device, Action<DoctorCheck>? progress = null)
    {
        using var cpu = new CpuAccelerator();
        var il = device as IlgpuAccelerator;
        var log = new HashSet<string>();
        var savedLog = il?.LaunchLog;
        if (il is not null) il.LaunchLog = log;
        var checks = new List<DoctorCheck>();
        try
        {
            foreach (var (op, body) in Checks)
            {
                var check = RunOne(device, cpu, op, body);
                checks.Add(check);
                progress?.Invoke(check);
            }
        }
        finally { if (il is not null) il.LaunchLog = savedLog; }
        List<string> notRun = il is null ? [] : [.. KernelCatalog.Names.Where(name => !log.Contains(name))];
        var (capability, driver, ilgpu) = Details(il);
        return new DoctorReport(device.Name, device.Description, capability, driver, ilgpu, checks,
            [.. log.Order(StringComparer.Ordinal)], notRun);
    }

    /// <summary>
    /// The device's compute capability ("9.0"; CUDA only), its driver ("CUDA 12.8" is the driver's CUDA version;
    /// OpenCL: the device and driver version strings) and ILGPU's informational version; all null off ILGPU.
    /// </summary>
    private static (string? Capability, string? Driver, string? Ilgpu) Details(IlgpuAccelerator? il)
    {
        if (il is null) return (null, null, null);
        var assembly = typeof(ILGPU.Context).Assembly;
        string? ilgpu = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                        ?? assembly.GetName().Version?.ToString();
        return il.Device switch
        {
            CudaAccelerator cuda => ($"{cuda.Architecture.Major}.{cuda.Architecture.Minor}",
                $"CUDA {cuda.DriverVersion.Major}.{cuda.DriverVersion.Minor}", ilgpu),
            CLAccelerator cl => (null, OpenClDriver(cl), ilgpu),
            _ => (null, null, ilgpu),
        };
    }

    // "OpenCL 3.0 PoCL 6.0, driver 6.0": CL_DEVICE_VERSION and CL_DRIVER_VERSION as the driver reports them
    private static string OpenClDriver(CLAccelerator cl)
    {
        string Info(CLDeviceInfoType type) => CLAPI.CurrentAPI.GetDeviceInfo(cl.DeviceId, type).Trim();
        try
        {
            return $"{Info(CLDeviceInfoType.CL_DEVICE_VERSION)}, driver {Info(CLDeviceInfoType.CL_DRIVER_VERSION)}";
        }
        catch (Exception e) when (e is not OutOfMemoryException) { return $"{cl.Device.DeviceVersion} ({e.Message})"; }
    }

    private static DoctorCheck RunOne(Accelerator device, Accelerator cpu, string op, Action<Case> body)
    {
        // FNV-1a of the op's name: the same inputs in every run (string.GetHashCode differs per process)
        uint hash = 2166136261;
        foreach (char ch in op) hash = (hash ^ ch) * 16777619;
        int seed = (int)(hash & 0x7FFFFFFF);
        float[][] expected;
        using (var c = new Case(cpu, seed)) { body(c); expected = c.Results(); }
        var sw = Stopwatch.StartNew();
        try
        {
            float[][] actual;
            using (var c = new Case(device, seed)) { body(c); actual = c.Results(); }
            return new DoctorCheck(op, MaxError(expected, actual), Tolerance, sw.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new DoctorCheck(op, double.PositiveInfinity, Tolerance, sw.Elapsed.TotalMilliseconds, e.Message);
        }
    }

    /// <summary>
    /// max |actual − expected| / (1 + |expected|) over every element; NaN or infinity anywhere, or a result of another
    /// length, counts as infinite.
    /// </summary>
    internal static double MaxError(float[][] expected, float[][] actual)
    {
        double err = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            if (actual[r].Length != expected[r].Length) return double.PositiveInfinity;
            for (int i = 0; i < expected[r].Length; i++)
            {
                double e = Math.Abs(actual[r][i] - (double)expected[r][i]) / (1 + Math.Abs(expected[r][i]));
                if (!double.IsFinite(e)) return double.PositiveInfinity;
                err = Math.Max(err, e);
            }
        }
        return err;
    }

    // Runs body with the convolution algorithm forced on an ILGPU accelerator (elsewhere as it is), then restores it.
    private static void WithConv(Case c, ConvAlgorithm algo, Action body)
    {
        if (c.Acc is not IlgpuAccelerator il) { body(); return; }
        var saved = il.ConvAlgorithm;
        il.ConvAlgorithm = algo;
        try { body(); } finally { il.ConvAlgorithm = saved; }
    }

    // Runs body with every GEMM on the tiled kernel (DirectBelow 0) or on GemmDirect (never below), then restores it.
    private static void WithGemmPath(Case c, bool tiled, Action body)
    {
        if (c.Acc is not IlgpuAccelerator il) { body(); return; }
        var saved = il.GemmTiling;
        il.GemmTiling = saved with { DirectBelow = tiled ? 0 : long.MaxValue };
        try { body(); } finally { il.GemmTiling = saved; }
    }

    private static List<(string, Action<Case>)> BuildChecks()
    {
        var list = new List<(string, Action<Case>)>();
        void Add(string op, Action<Case> body) => list.Add((op, body));
        AddElementwise(Add);
        AddActivations(Add);
        AddLosses(Add);
        AddNormalization(Add);
        AddOptimizers(Add);
        AddPooling(Add);
        AddConvolutions(Add);
        AddGemm(Add);
        return list;
    }

    private static void AddElementwise(Action<string, Action<Case>> add)
    {
        add("Fill", c => c.Acc.Fill(c.Out(1000), 0.25f));
        add("Copy", c => c.Acc.Copy(c.Rand(1000), c.Out(1000)));
        add("Axpy", c => c.Acc.Axpy(0.5f, c.Rand(1000), c.Result(c.Rand(1000))));
        add("Scale", c => c.Acc.Scale(c.Result(c.Rand(1000)), -1.5f));
        // rows 3..8 of a (12, 10) source, 5 wide from column 1, into rows 1..6 of an (8, 7) destination
        add("CopyRows", c => c.Acc.CopyRows(c.Rand(12, 10), 3, 10, c.Out(8, 7), 1, 7, 6, 5));
        add("BiasAddForward", c => c.Acc.BiasAddForward(c.Result(c.Rand(4, 6, 5, 5)), c.Rand(6)));
        add("BiasAddBackward", c => c.Acc.BiasAddBackward(c.Rand(4, 6, 5, 5), c.Out(6)));
        add("DropoutForward", c => c.Acc.DropoutForward(c.Rand(4, 300), c.Out(4, 300), c.Out(4, 300), 0.5f, 1234u));
        add("DropoutBackward", c => c.Acc.DropoutBackward(c.Rand(1200), c.Uniform(0, 2, 1200), c.Out(1200)));
    }

    private static void AddActivations(Action<string, Action<Case>> add)
    {
        add("ReluForward", c => c.Acc.ReluForward(c.Rand(1000), c.Out(1000)));
        add("ReluBackward", c => c.Acc.ReluBackward(c.Rand(1000), c.Rand(1000), c.Out(1000)));
        add("LeakyReluForward", c => c.Acc.LeakyReluForward(c.Rand(1000), c.Out(1000), 0.1f));
        add("LeakyReluBackward", c => c.Acc.LeakyReluBackward(c.Rand(1000), c.Rand(1000), c.Out(1000), 0.1f));
        add("SigmoidForward", c => c.Acc.SigmoidForward(c.Rand(3f, 1000), c.Out(1000)));
        add("SigmoidBackward", c => c.Acc.SigmoidBackward(c.Uniform(0, 1, 1000), c.Rand(1000), c.Out(1000)));
        add("TanhForward", c => c.Acc.TanhForward(c.Rand(2f, 1000), c.Out(1000)));
        add("TanhBackward", c => c.Acc.TanhBackward(c.Uniform(-1, 1, 1000), c.Rand(1000), c.Out(1000)));
    }

    // 16 rows of 10 classes (or 7 outputs); gradients scaled by 1/16 as a mean over the batch would be
    private static void AddLosses(Action<string, Action<Case>> add)
    {
        add("AccumulateLossAndCorrect", c => c.Acc.AccumulateLossAndCorrect(c.Uniform(0, 1, 16, 10), c.Labels(16, 10),
            c.Rand(16), c.Result(c.Rand(2)), 0.5f));
        add("SoftmaxCrossEntropyForward", c => c.Acc.SoftmaxCrossEntropyForward(c.Rand(3f, 16, 10),
            c.Labels(16, 10), null, c.Out(16, 10), c.Out(16)));
        add("SoftmaxCrossEntropyForward (class weights)", c => c.Acc.SoftmaxCrossEntropyForward(c.Rand(3f, 16, 10),
            c.Labels(16, 10), c.Uniform(0.5f, 2, 10), c.Out(16, 10), c.Out(16)));
        add("SoftmaxCrossEntropyBackward", c => c.Acc.SoftmaxCrossEntropyBackward(c.Uniform(0, 1, 16, 10),
            c.Labels(16, 10), c.Uniform(0.5f, 2, 10), c.Out(16, 10), 1f / 16));
        add("HingeForward", c => c.Acc.HingeForward(c.Rand(16, 10), c.Labels(16, 10), c.Out(16)));
        add("HingeBackward", c => c.Acc.HingeBackward(c.Rand(16, 10), c.Labels(16, 10), c.Out(16, 10), 1f / 16));
        add("MseForward", c => c.Acc.MseForward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16)));
        add("MseBackward", c => c.Acc.MseBackward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16, 7), 1f / 16));
        add("MaeForward", c => c.Acc.MaeForward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16)));
        add("MaeBackward", c => c.Acc.MaeBackward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16, 7), 1f / 16));
        add("BinaryCrossEntropyForward", c => c.Acc.BinaryCrossEntropyForward(c.Rand(3f, 16, 7),
            c.Uniform(0, 1, 16, 7), c.Out(16)));
        add("BinaryCrossEntropyBackward", c => c.Acc.BinaryCrossEntropyBackward(c.Rand(3f, 16, 7),
            c.Uniform(0, 1, 16, 7), c.Out(16, 7), 1f / 16));
    }

    private static void AddNormalization(Action<string, Action<Case>> add)
    {
        // x: (3, 8, 5, 5), LRN over 5 channels within each of 2 channel groups
        var lrn = new LrnParameters(Size: 5, Alpha: 1e-2f, Beta: 0.75f, K: 2f, Groups: 2);
        add("LrnForward", c => c.Acc.LrnForward(c.Rand(3, 8, 5, 5), c.Out(3, 8, 5, 5), c.Out(3, 8, 5, 5), lrn));
        add("LrnBackward", c =>
        {
            var x = c.Rand(3, 8, 5, 5);
            using var y = c.Acc.Allocate(3, 8, 5, 5);
            using var scale = c.Acc.Allocate(3, 8, 5, 5);
            c.Acc.LrnForward(x, y, scale, lrn);
            c.Acc.LrnBackward(x, y, scale, c.Rand(3, 8, 5, 5), c.Out(3, 8, 5, 5), lrn);
        });
        // x: (6, 5, 4, 4), statistics per channel over 6·4·4 values
        add("BatchNormForwardTraining", c => c.Acc.BatchNormForwardTraining(c.Rand(2f, 6, 5, 4, 4), c.Rand(5),
            c.Rand(5), c.Out(6, 5, 4, 4), c.Result(c.Rand(5)), c.Result(c.Uniform(0.5f, 2, 5)), c.Out(5), c.Out(5),
            0.1f, 1e-5f));
        add("BatchNormForwardInference", c => c.Acc.BatchNormForwardInference(c.Rand(6, 5, 4, 4), c.Rand(5),
            c.Rand(5), c.Rand(5), c.Uniform(0.5f, 2, 5), c.Out(6, 5, 4, 4), 1e-5f));
        add("BatchNormBackward", c => c.Acc.BatchNormBackward(c.Rand(6, 5, 4, 4), c.Rand(6, 5, 4, 4), c.Rand(5),
            c.Rand(0.1f, 5), c.Uniform(0.5f, 2, 5), c.Out(6, 5, 4, 4), c.Out(5), c.Out(5)));
    }

    private static void AddOptimizers(Action<string, Action<Case>> add)
    {
        add("SgdUpdate", c => c.Acc.SgdUpdate(c.Result(c.Rand(1000)), c.Rand(1000), 0.1f, 1e-3f, 1e-4f));
        add("MomentumUpdate", c => c.Acc.MomentumUpdate(c.Result(c.Rand(1000)), c.Rand(1000),
            c.Result(c.Rand(1000)), 0.1f, 0.9f, 1e-3f, 1e-4f));
        add("AdaGradUpdate", c => c.Acc.AdaGradUpdate(c.Result(c.Rand(1000)), c.Rand(1000),
            c.Result(c.Uniform(0, 1, 1000)), 0.1f, 1e-8f, 1e-3f, 0f));
        add("RmsPropUpdate", c => c.Acc.RmsPropUpdate(c.Result(c.Rand(1000)), c.Rand(1000),
            c.Result(c.Uniform(0, 1, 1000)), 0.01f, 0.9f, 1e-8f, 1e-3f, 0f));
        add("AdamUpdate", c => c.Acc.AdamUpdate(c.Result(c.Rand(1000)), c.Rand(1000), c.Result(c.Rand(0.1f, 1000)),
            c.Result(c.Uniform(0, 1, 1000)), 1e-3f, 0.9f, 0.999f, 1e-8f, 3, 1e-3f, 0f));
    }

    private static void AddPooling(Action<string, Action<Case>> add)
    {
        // (3, 4, 13, 13) max-pooled 3×3 stride 2 (overlapping windows, as AlexNet's); (3, 4, 12, 12) padded by 1
        var pool = new Pool2dGeometry(3, 4, 13, 13, 3, 3, 2, 2);
        var padded = new Pool2dGeometry(3, 4, 12, 12, 3, 3, 2, 2, 1, 1);
        add("MaxPool2dForward", c => c.Acc.MaxPool2dForward(c.Rand(pool.InputShape), c.Out(pool.OutputShape),
            pool));
        add("MaxPool2dBackward", c => c.Acc.MaxPool2dBackward(c.Rand(pool.InputShape), c.Rand(pool.OutputShape),
            c.Out(pool.InputShape), pool));
        add("MaxPool2dForward + Backward (kept argmax)", c =>
        {
            var (x, argmax) = (c.Rand(pool.InputShape), c.Out(pool.OutputShape));
            c.Acc.MaxPool2dForward(x, c.Out(pool.OutputShape), pool, argmax);
            c.Acc.MaxPool2dBackward(x, c.Rand(pool.OutputShape), c.Out(pool.InputShape), pool, argmax);
        });
        add("AvgPool2dForward", c => c.Acc.AvgPool2dForward(c.Rand(padded.InputShape), c.Out(padded.OutputShape),
            padded));
        add("AvgPool2dBackward", c => c.Acc.AvgPool2dBackward(c.Rand(padded.OutputShape), c.Out(padded.InputShape),
            padded));
        add("GlobalAvgPoolForward", c => c.Acc.GlobalAvgPoolForward(c.Rand(3, 4, 6, 6), c.Out(3, 4)));
        add("GlobalAvgPoolBackward", c => c.Acc.GlobalAvgPoolBackward(c.Rand(3, 4), c.Out(3, 4, 6, 6)));
    }

    // AlexNet's conv1 (11×11 stride 4) and a grouped, padded 3×3 (conv3-5 style), each algorithm on ILGPU
    private static void AddConvolutions(Action<string, Action<Case>> add)
    {
        var conv1 = new Conv2dGeometry(2, 3, 39, 39, 8, 11, 11, StrideH: 4, StrideW: 4);
        var grouped = new Conv2dGeometry(3, 8, 9, 9, 6, 3, 3, PadH: 1, PadW: 1, Groups: 2);
        foreach (var algo in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Im2colGemm })
            foreach (var (label, g) in new[] { ("11x11/4", conv1), ("3x3 groups 2", grouped) })
            {
                string tag = $" ({label}, {(algo == ConvAlgorithm.Direct ? "direct" : "im2col+GEMM")})";
                add("Conv2dForward" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dForward(c.Rand(g.InputShape),
                    c.Rand(0.1f, g.FilterShape), c.Rand(g.K), c.Out(g.OutputShape), g)));
                add("Conv2dBackwardData" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dBackwardData(
                    c.Rand(g.OutputShape), c.Rand(0.1f, g.FilterShape), c.Out(g.InputShape), g)));
                add("Conv2dBackwardFilter" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dBackwardFilter(
                    c.Rand(g.InputShape), c.Rand(g.OutputShape), c.Out(g.FilterShape), c.Out(g.K), g)));
            }
        // the ReLU epilogue a convolution followed by a ReLU layer runs with
        add("Conv2dForward (3x3 groups 2, ReLU epilogue)", c => c.Acc.Conv2dForward(c.Rand(grouped.InputShape),
            c.Rand(0.1f, grouped.FilterShape), c.Rand(grouped.K), c.Out(grouped.OutputShape), grouped, relu: true));
    }

    // C (m, n) = 0.75 · op(A) · op(B) + 0.5 · C in all four transpositions (NT: B stored (n, k)), each through the
    // tiled kernel and GemmDirect: a problem smaller than one tile, and one with ragged edges in m, n and k on every
    // tiling (GPU 64 × 64, k-step 16; ILGPU's CPU accelerator 8 × 8, k-step 32)
    private static void AddGemm(Action<string, Action<Case>> add)
    {
        foreach (var (m, n, k) in new[] { (5, 7, 9), (70, 133, 45) })
            foreach (bool tiled in new[] { true, false })
                foreach (bool ta in new[] { false, true })
                    foreach (bool tb in new[] { false, true })
                    {
                        string name = $"Gemm {(ta ? 'T' : 'N')}{(tb ? 'T' : 'N')} ({m}x{n}x{k}, " +
                                      $"{(tiled ? "tiled" : "direct")})";
                        add(name, c => WithGemmPath(c, tiled, () => c.Acc.Gemm(ta, tb, 0.75f,
                            c.Rand(ta ? new[] { k, m } : new[] { m, k }), c.Rand(tb ? new[] { n, k } : new[] { k, n }),
                            0.5f, c.Result(c.Rand(m, n)))));
                    }
    }
}

using System.Diagnostics;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Runtime;

/// <summary>One op checked on a device against the CPU accelerator: the largest error and whether it is within tolerance.</summary>
public sealed record DoctorCheck(string Op, double MaxError, double Tolerance, double Milliseconds, string? Error = null)
{
    public bool Passed => Error is null && MaxError <= Tolerance;
}

/// <summary>What <see cref="Doctor.Run"/> found on one device.</summary>
public sealed record DoctorReport(string Device, string Description, IReadOnlyList<DoctorCheck> Checks,
    IReadOnlyList<string> KernelsRun, IReadOnlyList<string> KernelsNotRun)
{
    public bool Passed => Checks.All(c => c.Passed) && KernelsNotRun.Count == 0;
}

/// <summary>
/// Runs every op of the accelerator on a device against the CPU accelerator on small random inputs (the same inputs on
/// both) and reports the largest error per op. On a kernel accelerator both convolution algorithms and both GEMM paths
/// run, and the report lists any kernel of <c>kernels/</c> that no check launched. This is the check people run after
/// installing a driver, and the way CUDA is verified where the test suite cannot run.
/// Error measure: max |device − cpu| / (1 + |cpu|) over every output element.
/// </summary>
public static class Doctor
{
    private const double Tolerance = 1e-4;

    /// <summary>An op's inputs and outputs on one accelerator; inputs are the same on every accelerator for a seed.</summary>
    public sealed class Case(Accelerator acc, int seed) : IDisposable
    {
        private readonly Random _rng = new(seed);
        private readonly List<Tensor> _all = [];
        private readonly List<Tensor> _results = [];

        public Accelerator Acc { get; } = acc;

        /// <summary>Normal(0, scale) values.</summary>
        public Tensor Rand(float scale, params int[] shape) => Input(shape, _ => scale * Normal());
        public Tensor Rand(params int[] shape) => Rand(1f, shape);
        /// <summary>Uniform values in [lo, hi).</summary>
        public Tensor Uniform(float lo, float hi, params int[] shape) => Input(shape, _ => lo + (hi - lo) * (float)_rng.NextDouble());
        /// <summary>Class indices in [0, classes) as floats.</summary>
        public Tensor Labels(int n, int classes) => Input([n], _ => _rng.Next(classes));

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

        public float[][] Results() { Acc.Synchronize(); return _results.Select(t => t.ToArray()).ToArray(); }

        private float Normal()
        {
            double u = 1 - _rng.NextDouble(), v = _rng.NextDouble();
            return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
        }

        public void Dispose() { foreach (var t in _all) t.Dispose(); }
    }

    /// <summary>The checks in order: op name and body (which allocates its inputs and outputs through the case).</summary>
    public static IReadOnlyList<(string Op, Action<Case> Body)> Checks { get; } = BuildChecks();

    /// <summary>Runs every check on <paramref name="device"/>; <paramref name="progress"/> hears each op as it finishes.</summary>
    public static DoctorReport Run(Accelerator device, Action<DoctorCheck>? progress = null)
    {
        using var cpu = new CpuAccelerator();
        var log = new HashSet<string>();
        if (device is Ilgpu.IlgpuAccelerator k) k.LaunchLog = log;
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
        finally { if (device is Ilgpu.IlgpuAccelerator k2) k2.LaunchLog = null; }
        var notRun = device is Ilgpu.IlgpuAccelerator
            ? Array.Empty<string>().Where(name => !log.Contains(name)).ToList()
            : [];
        return new DoctorReport(device.Name, device.Description, checks, log.Order().ToList(), notRun);
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

    /// <summary>max |actual − expected| / (1 + |expected|) over every element; NaN or infinity anywhere counts as infinite.</summary>
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

    private static void WithConv(Case c, ConvAlgorithm algo, Action body)
    {
        if (c.Acc is not Ilgpu.IlgpuAccelerator k) { body(); return; }
        var saved = k.ConvAlgorithm;
        k.ConvAlgorithm = algo;
        try { body(); } finally { k.ConvAlgorithm = saved; }
    }

    private static List<(string, Action<Case>)> BuildChecks()
    {
        var list = new List<(string, Action<Case>)>();
        void Add(string op, Action<Case> body) => list.Add((op, body));

        Add("Fill", c => c.Acc.Fill(c.Out(1000), 0.25f));
        Add("Copy", c => c.Acc.Copy(c.Rand(1000), c.Out(1000)));
        Add("Axpy", c => c.Acc.Axpy(0.5f, c.Rand(1000), c.Result(c.Rand(1000))));
        Add("Scale", c => c.Acc.Scale(c.Result(c.Rand(1000)), -1.5f));
        Add("CopyRows", c => c.Acc.CopyRows(c.Rand(12, 10), 3, 10, c.Out(8, 7), 1, 7, 6, 5));
        Add("BiasAddForward", c => c.Acc.BiasAddForward(c.Result(c.Rand(4, 6, 5, 5)), c.Rand(6)));
        Add("BiasAddBackward", c => c.Acc.BiasAddBackward(c.Rand(4, 6, 5, 5), c.Out(6)));
        Add("DropoutForward", c => c.Acc.DropoutForward(c.Rand(4, 300), c.Out(4, 300), c.Out(4, 300), 0.5f, 1234u));
        Add("DropoutBackward", c => c.Acc.DropoutBackward(c.Rand(1200), c.Uniform(0, 2, 1200), c.Out(1200)));

        Add("ReluForward", c => c.Acc.ReluForward(c.Rand(1000), c.Out(1000)));
        Add("ReluBackward", c => c.Acc.ReluBackward(c.Rand(1000), c.Rand(1000), c.Out(1000)));
        Add("LeakyReluForward", c => c.Acc.LeakyReluForward(c.Rand(1000), c.Out(1000), 0.1f));
        Add("LeakyReluBackward", c => c.Acc.LeakyReluBackward(c.Rand(1000), c.Rand(1000), c.Out(1000), 0.1f));
        Add("SigmoidForward", c => c.Acc.SigmoidForward(c.Rand(3f, 1000), c.Out(1000)));
        Add("SigmoidBackward", c => c.Acc.SigmoidBackward(c.Uniform(0, 1, 1000), c.Rand(1000), c.Out(1000)));
        Add("TanhForward", c => c.Acc.TanhForward(c.Rand(2f, 1000), c.Out(1000)));
        Add("TanhBackward", c => c.Acc.TanhBackward(c.Uniform(-1, 1, 1000), c.Rand(1000), c.Out(1000)));

        Add("SoftmaxCrossEntropyForward", c => c.Acc.SoftmaxCrossEntropyForward(c.Rand(3f, 16, 10), c.Labels(16, 10), null, c.Out(16, 10), c.Out(16)));
        Add("SoftmaxCrossEntropyForward (class weights)", c => c.Acc.SoftmaxCrossEntropyForward(c.Rand(3f, 16, 10), c.Labels(16, 10), c.Uniform(0.5f, 2, 10), c.Out(16, 10), c.Out(16)));
        Add("SoftmaxCrossEntropyBackward", c => c.Acc.SoftmaxCrossEntropyBackward(c.Uniform(0, 1, 16, 10), c.Labels(16, 10), c.Uniform(0.5f, 2, 10), c.Out(16, 10), 1f / 16));
        Add("HingeForward", c => c.Acc.HingeForward(c.Rand(16, 10), c.Labels(16, 10), c.Out(16)));
        Add("HingeBackward", c => c.Acc.HingeBackward(c.Rand(16, 10), c.Labels(16, 10), c.Out(16, 10), 1f / 16));
        Add("MseForward", c => c.Acc.MseForward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16)));
        Add("MseBackward", c => c.Acc.MseBackward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16, 7), 1f / 16));
        Add("MaeForward", c => c.Acc.MaeForward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16)));
        Add("MaeBackward", c => c.Acc.MaeBackward(c.Rand(16, 7), c.Rand(16, 7), c.Out(16, 7), 1f / 16));
        Add("BinaryCrossEntropyForward", c => c.Acc.BinaryCrossEntropyForward(c.Rand(3f, 16, 7), c.Uniform(0, 1, 16, 7), c.Out(16)));
        Add("BinaryCrossEntropyBackward", c => c.Acc.BinaryCrossEntropyBackward(c.Rand(3f, 16, 7), c.Uniform(0, 1, 16, 7), c.Out(16, 7), 1f / 16));

        var lrn = new LrnParameters(Size: 5, Alpha: 1e-2f, Beta: 0.75f, K: 2f, Groups: 2);
        Add("LrnForward", c => c.Acc.LrnForward(c.Rand(3, 8, 5, 5), c.Out(3, 8, 5, 5), c.Out(3, 8, 5, 5), lrn));
        Add("LrnBackward", c =>
        {
            var x = c.Rand(3, 8, 5, 5);
            var y = c.Acc.Allocate(3, 8, 5, 5); var scale = c.Acc.Allocate(3, 8, 5, 5);
            c.Acc.LrnForward(x, y, scale, lrn);
            c.Acc.LrnBackward(x, y, scale, c.Rand(3, 8, 5, 5), c.Out(3, 8, 5, 5), lrn);
            y.Dispose(); scale.Dispose();
        });
        Add("BatchNormForwardTraining", c => c.Acc.BatchNormForwardTraining(c.Rand(2f, 6, 5, 4, 4), c.Rand(5), c.Rand(5), c.Out(6, 5, 4, 4),
            c.Result(c.Rand(5)), c.Result(c.Uniform(0.5f, 2, 5)), c.Out(5), c.Out(5), 0.1f, 1e-5f));
        Add("BatchNormForwardInference", c => c.Acc.BatchNormForwardInference(c.Rand(6, 5, 4, 4), c.Rand(5), c.Rand(5), c.Rand(5), c.Uniform(0.5f, 2, 5), c.Out(6, 5, 4, 4), 1e-5f));
        Add("BatchNormBackward", c => c.Acc.BatchNormBackward(c.Rand(6, 5, 4, 4), c.Rand(6, 5, 4, 4), c.Rand(5), c.Rand(0.1f, 5), c.Uniform(0.5f, 2, 5),
            c.Out(6, 5, 4, 4), c.Out(5), c.Out(5)));

        Add("SgdUpdate", c => c.Acc.SgdUpdate(c.Result(c.Rand(1000)), c.Rand(1000), 0.1f, 1e-3f, 1e-4f));
        Add("MomentumUpdate", c => c.Acc.MomentumUpdate(c.Result(c.Rand(1000)), c.Rand(1000), c.Result(c.Rand(1000)), 0.1f, 0.9f, 1e-3f, 1e-4f));
        Add("AdaGradUpdate", c => c.Acc.AdaGradUpdate(c.Result(c.Rand(1000)), c.Rand(1000), c.Result(c.Uniform(0, 1, 1000)), 0.1f, 1e-8f, 1e-3f, 0f));
        Add("RmsPropUpdate", c => c.Acc.RmsPropUpdate(c.Result(c.Rand(1000)), c.Rand(1000), c.Result(c.Uniform(0, 1, 1000)), 0.01f, 0.9f, 1e-8f, 1e-3f, 0f));
        Add("AdamUpdate", c => c.Acc.AdamUpdate(c.Result(c.Rand(1000)), c.Rand(1000), c.Result(c.Rand(0.1f, 1000)), c.Result(c.Uniform(0, 1, 1000)), 1e-3f, 0.9f, 0.999f, 1e-8f, 3, 1e-3f, 0f));

        var pool = new Pool2dGeometry(3, 4, 13, 13, 3, 3, 2, 2);
        var padded = new Pool2dGeometry(3, 4, 12, 12, 3, 3, 2, 2, 1, 1);
        Add("MaxPool2dForward", c => c.Acc.MaxPool2dForward(c.Rand(pool.InputShape), c.Out(pool.OutputShape), pool));
        Add("MaxPool2dBackward", c => c.Acc.MaxPool2dBackward(c.Rand(pool.InputShape), c.Rand(pool.OutputShape), c.Out(pool.InputShape), pool));
        Add("AvgPool2dForward", c => c.Acc.AvgPool2dForward(c.Rand(padded.InputShape), c.Out(padded.OutputShape), padded));
        Add("AvgPool2dBackward", c => c.Acc.AvgPool2dBackward(c.Rand(padded.OutputShape), c.Out(padded.InputShape), padded));
        Add("GlobalAvgPoolForward", c => c.Acc.GlobalAvgPoolForward(c.Rand(3, 4, 6, 6), c.Out(3, 4)));
        Add("GlobalAvgPoolBackward", c => c.Acc.GlobalAvgPoolBackward(c.Rand(3, 4), c.Out(3, 4, 6, 6)));

        // AlexNet's conv1 (11×11 stride 4) and a grouped, padded 3×3 (conv3-5 style), each algorithm on a kernel accelerator
        var conv1 = new Conv2dGeometry(2, 3, 39, 39, 8, 11, 11, StrideH: 4, StrideW: 4);
        var grouped = new Conv2dGeometry(3, 8, 9, 9, 6, 3, 3, PadH: 1, PadW: 1, Groups: 2);
        foreach (var algo in new[] { ConvAlgorithm.Direct, ConvAlgorithm.Im2colGemm })
            foreach (var (label, g) in new[] { ("11x11/4", conv1), ("3x3 groups 2", grouped) })
            {
                string tag = $" ({label}, {(algo == ConvAlgorithm.Direct ? "direct" : "im2col+GEMM")})";
                Add("Conv2dForward" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dForward(c.Rand(g.InputShape), c.Rand(0.1f, g.FilterShape), c.Rand(g.K), c.Out(g.OutputShape), g)));
                Add("Conv2dBackwardData" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dBackwardData(c.Rand(g.OutputShape), c.Rand(0.1f, g.FilterShape), c.Out(g.InputShape), g)));
                Add("Conv2dBackwardFilter" + tag, c => WithConv(c, algo, () => c.Acc.Conv2dBackwardFilter(c.Rand(g.InputShape), c.Rand(g.OutputShape), c.Out(g.FilterShape), c.Out(g.K), g)));
            }

        // GEMM: a small problem (direct kernel) and a tiled one with ragged edges, in all four transpositions
        foreach (var (m, n, k) in new[] { (5, 7, 9), (70, 133, 45) })
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    Add($"Gemm ({m}x{n}x{k}{(ta ? ", Aᵀ" : "")}{(tb ? ", Bᵀ" : "")})", c =>
                        c.Acc.Gemm(ta, tb, 0.75f, c.Rand(ta ? new[] { k, m } : new[] { m, k }), c.Rand(tb ? new[] { n, k } : new[] { k, n }), 0.5f, c.Result(c.Rand(m, n))));
        return list;
    }
}

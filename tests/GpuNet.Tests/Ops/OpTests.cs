using GpuNet.Runtime;
using GpuNet.Tests.Reference;

namespace GpuNet.Tests.Ops;

/// <summary>
/// One test body per op, run on every accelerator through thin subclasses (CpuOpTests, IlgpuCpuOpTests,
/// IlgpuCudaOpTests, IlgpuOpenClOpTests).
/// Forward results are compared with the double-precision reference in <see cref="Ref"/>; backward results with
/// central finite differences of that reference (the gradient check), so a wrong backward cannot agree by accident.
/// Tolerance: fp32 against double, 1e-4 relative for forward, 2e-3 relative for gradients (FD noise), plus a small
/// absolute term.
/// </summary>
public abstract partial class OpTests : IDisposable
{
    private readonly List<Tensor> _owned = [];
    protected abstract Accelerator Acc { get; }

    protected Tensor T(float[] data, params int[] shape) { var t = Acc.FromHost(data, shape); _owned.Add(t); return t; }
    protected Tensor Z(params int[] shape) { var t = Acc.Zeros(shape); _owned.Add(t); return t; }

    public virtual void Dispose() { foreach (var t in _owned) t.Dispose(); GC.SuppressFinalize(this); }

    /// <summary>Checks backward(dy = r) against the finite-difference gradient of Σ r · f(x).</summary>
    protected static void GradCheck(float[] x, float[] r, float[] analytic, Func<double[], double[]> f, string what,
        double rtol = 2e-3, double atol = 2e-4)
    {
        var numeric = Ref.NumericGradient(Rand.D(x), Rand.D(r), f);
        Close.All(numeric, analytic, rtol, atol, what + " gradient");
    }

    // ---------------- GEMM ----------------

    public static TheoryData<bool, bool, int, int, int> GemmShapes()
    {
        var d = new TheoryData<bool, bool, int, int, int>();
        // the last two: a few rows and a large B (with B transposed the CPU computes Cᵀ = op(B)ᵀ · op(A)ᵀ)
        var shapes = new[] { (1, 1, 1), (7, 13, 5), (6, 16, 8), (37, 45, 300), (130, 17, 9), (3, 200, 1),
            (65, 129, 257), (5, 300, 3500), (20, 1100, 1000) };
        foreach (var (m, n, k) in shapes)
            foreach (bool ta in new[] { false, true })
                foreach (bool tb in new[] { false, true })
                    d.Add(ta, tb, m, n, k);
        return d;
    }

    [AcceleratorTheory, MemberData(nameof(GemmShapes))]
    public void Gemm_matches_reference(bool ta, bool tb, int m, int n, int k)
    {
        float[] a = Rand.Floats(m * k, 1), b = Rand.Floats(k * n, 2), c = Rand.Floats(m * n, 3);
        var tc = T(c, m, n);
        Acc.Gemm(ta, tb, m, n, k, 0.5f, T(a, ta ? k : m, ta ? m : k), 0, ta ? m : k, T(b, tb ? n : k, tb ? k : n), 0,
            tb ? k : n, 0.25f, tc, 0, n);
        var expected = Ref.Gemm(ta, tb, m, n, k, 0.5, Rand.D(a), Rand.D(b), 0.25, Rand.D(c));
        Close.All(expected, tc.ToArray(), 1e-4, 1e-4 * Math.Sqrt(k),
            $"GEMM {(ta ? "T" : "N")}{(tb ? "T" : "N")} {m}x{n}x{k}");
    }

    [AcceleratorFact]
    public void Gemm_respects_offsets_and_leading_dimensions_and_leaves_the_rest_alone()
    {
        // A 3x4 block inside a 5x9 buffer at offset 11; C a 3x2 block of a 4x6 buffer at offset 7.
        float[] abuf = Rand.Floats(45, 4), bbuf = Rand.Floats(4 * 2, 5), cbuf = Rand.Floats(24, 6);
        var tc = T(cbuf, 24);
        Acc.Gemm(false, false, 3, 2, 4, 1f, T(abuf, 45), 11, 9, T(bbuf, 8), 0, 2, 0f, tc, 7, 6);
        var got = tc.ToArray();
        var a = new double[12];
        for (int i = 0; i < 3; i++) for (int p = 0; p < 4; p++) a[i * 4 + p] = abuf[11 + i * 9 + p];
        var expected = Ref.Gemm(false, false, 3, 2, 4, 1, a, Rand.D(bbuf), 0, new double[6]);
        for (int i = 0; i < 24; i++)
        {
            int row = (i - 7) / 6, col = (i - 7) % 6;
            bool inside = i >= 7 && row < 3 && col < 2;
            if (inside) Assert.Equal(expected[row * 2 + col], got[i], 1e-5);
            else Assert.Equal(cbuf[i], got[i]);
        }
    }

    [AcceleratorFact]
    public void Gemm_rejects_a_block_that_runs_past_the_tensor()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            Acc.Gemm(false, false, 4, 4, 4, 1f, Z(15), 0, 4, Z(16), 0, 4, 0f, Z(16), 0, 4));
        Assert.Contains("runs past", ex.Message);
    }

    // ---------------- Convolution ----------------

    public static TheoryData<Conv2dGeometry> ConvShapes() =>
    [
        new Conv2dGeometry(2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1),       // padded 3x3
        new Conv2dGeometry(1, 1, 5, 5, 1, 2, 2),                    // batch 1, single channel
        new Conv2dGeometry(3, 4, 9, 9, 6, 3, 3, 2, 2, 1, 1, 2),     // strided, grouped
        new Conv2dGeometry(2, 6, 4, 5, 4, 1, 1, 1, 1, 0, 0, 2),     // 1x1 grouped (the pointwise path)
        new Conv2dGeometry(2, 3, 15, 15, 4, 11, 11, 4, 4, 0, 0),    // AlexNet conv1 shape in miniature
        new Conv2dGeometry(5, 2, 6, 6, 3, 5, 5, 1, 1, 2, 2),        // batch larger than threads, 5x5 pad 2
        new Conv2dGeometry(2, 4, 7, 7, 3, 1, 1, 2, 2, 0, 0),        // 1x1 stride 2 (a downsampling shortcut)
        new Conv2dGeometry(2, 3, 8, 9, 4, 2, 2, 3, 3, 1, 1),        // stride larger than the window, padded
    ];

    [AcceleratorTheory, MemberData(nameof(ConvShapes))]
    public void Conv2d_forward_matches_reference(Conv2dGeometry g)
    {
        float[] x = Rand.Floats(g.N * g.C * g.H * g.W, 10), w = Rand.Floats(g.K * g.Cg * g.R * g.S, 11),
            b = Rand.Floats(g.K, 12);
        var y = Z(g.OutputShape);
        Acc.Conv2dForward(T(x, g.InputShape), T(w, g.FilterShape), T(b, g.K), y, g);
        Close.All(Ref.Conv2d(Rand.D(x), Rand.D(w), Rand.D(b), g), y.ToArray(), 1e-4, 1e-5 * g.Cg * g.R * g.S,
            $"conv {g}");
    }

    // The ReLU epilogue: exactly ReluForward of the plain convolution (with and without bias), NaN passed on.
    [AcceleratorTheory, MemberData(nameof(ConvShapes))]
    public void Conv2d_forward_with_the_relu_epilogue_is_relu_of_the_convolution(Conv2dGeometry g)
    {
        float[] x = Rand.Floats(g.N * g.C * g.H * g.W, 14), w = Rand.Floats(g.K * g.Cg * g.R * g.S, 15),
            b = Rand.Floats(g.K, 16);
        x[0] = float.NaN;
        foreach (var bias in new[] { T(b, g.K), null })
        {
            var plain = Z(g.OutputShape); var relu = Z(g.OutputShape); var fused = Z(g.OutputShape);
            Acc.Conv2dForward(T(x, g.InputShape), T(w, g.FilterShape), bias, plain, g);
            Acc.ReluForward(plain, relu);
            Acc.Conv2dForward(T(x, g.InputShape), T(w, g.FilterShape), bias, fused, g, relu: true);
            Assert.Equal(relu.ToArray(), fused.ToArray());
            Assert.Contains(fused.ToArray(), float.IsNaN);
        }
    }

    [AcceleratorTheory, MemberData(nameof(ConvShapes))]
    public void Conv2d_backward_matches_finite_differences(Conv2dGeometry g)
    {
        float[] x = Rand.Floats(g.N * g.C * g.H * g.W, 20), w = Rand.Floats(g.K * g.Cg * g.R * g.S, 21),
            b = Rand.Floats(g.K, 22);
        float[] r = Rand.Floats(g.N * g.K * g.OutH * g.OutW, 23);
        var dx = Z(g.InputShape); var dw = Z(g.FilterShape); var db = Z(g.K);
        Acc.Conv2dBackwardData(T(r, g.OutputShape), T(w, g.FilterShape), dx, g);
        Acc.Conv2dBackwardFilter(T(x, g.InputShape), T(r, g.OutputShape), dw, db, g);
        GradCheck(x, r, dx.ToArray(), xd => Ref.Conv2d(xd, Rand.D(w), Rand.D(b), g), "conv dx");
        GradCheck(w, r, dw.ToArray(), wd => Ref.Conv2d(Rand.D(x), wd, Rand.D(b), g), "conv dw");
        GradCheck(b, r, db.ToArray(), bd => Ref.Conv2d(Rand.D(x), Rand.D(w), bd, g), "conv dbias");
    }

    // Shapes where the CPU's blocks cut through output rows and images: more pixels than one k-block of the GEMM
    // (256, backward-filter), backward-data column tiles ending mid-row and mid-image, a 5×5 window over 48 channels
    // (1200 rows: the im2col matrix in several k-blocks), strides and groups with them. Too big for finite
    // differences: the gradients are checked against the exact adjoint in double.
    public static TheoryData<Conv2dGeometry> ConvTileShapes() =>
    [
        new Conv2dGeometry(3, 5, 20, 23, 7, 3, 3, 1, 1, 1, 1),       // 460 pixels per image, rows of 23
        new Conv2dGeometry(2, 48, 9, 9, 5, 5, 5, 1, 1, 2, 2),        // Cg·R·S 1200: column tiles of 128
        new Conv2dGeometry(4, 40, 21, 19, 6, 5, 5, 2, 2, 2, 2, 2),   // strided, grouped, tiles of 288 over 440
        new Conv2dGeometry(3, 6, 31, 29, 4, 11, 11, 4, 4, 1, 2),     // AlexNet-like conv1, uneven padding
    ];

    [AcceleratorTheory, MemberData(nameof(ConvTileShapes))]
    public void Conv2d_matches_the_reference_where_blocks_cut_rows_and_images(Conv2dGeometry g)
    {
        float[] x = Rand.Floats(g.N * g.C * g.H * g.W, 40), w = Rand.Floats(g.K * g.Cg * g.R * g.S, 41);
        float[] b = Rand.Floats(g.K, 42), r = Rand.Floats(g.N * g.K * g.OutH * g.OutW, 43);
        var y = Z(g.OutputShape); var dx = Z(g.InputShape); var dw = Z(g.FilterShape); var db = Z(g.K);
        Acc.Conv2dForward(T(x, g.InputShape), T(w, g.FilterShape), T(b, g.K), y, g);
        Acc.Conv2dBackwardData(T(r, g.OutputShape), T(w, g.FilterShape), dx, g);
        Acc.Conv2dBackwardFilter(T(x, g.InputShape), T(r, g.OutputShape), dw, db, g);
        var (rdx, rdw, rdb) = Ref.Conv2dBackward(Rand.D(x), Rand.D(w), Rand.D(r), g);
        int crs = g.Cg * g.R * g.S, pixels = g.N * g.OutH * g.OutW;
        Close.All(Ref.Conv2d(Rand.D(x), Rand.D(w), Rand.D(b), g), y.ToArray(), 1e-4, 1e-5 * crs, $"conv {g}");
        Close.All(rdx, dx.ToArray(), 1e-4, 1e-5 * g.Kg * g.R * g.S, $"conv dx {g}");
        Close.All(rdw, dw.ToArray(), 1e-4, 1e-5 * pixels, $"conv dw {g}");
        Close.All(rdb, db.ToArray(), 1e-4, 1e-5 * pixels, $"conv dbias {g}");
    }

    // ---------------- Pooling ----------------

    public static TheoryData<Pool2dGeometry> PoolShapes() =>
    [
        new Pool2dGeometry(2, 3, 8, 8, 2, 2, 2, 2),           // LeNet 2x2/2
        new Pool2dGeometry(2, 2, 13, 13, 3, 3, 2, 2),         // AlexNet overlapping 3x3/2
        new Pool2dGeometry(1, 1, 7, 5, 3, 3, 2, 2, 1, 1),     // padded, odd sizes
        new Pool2dGeometry(3, 1, 1, 1, 1, 1, 1, 1),           // 1x1
    ];

    /// <summary>A NaN anywhere in a window is that window's maximum (libtorch's rule), first element or not.</summary>
    [AcceleratorFact]
    public void MaxPool2d_propagates_nan_wherever_it_is_in_the_window()
    {
        var g = new Pool2dGeometry(1, 1, 2, 4, 2, 2, 2, 2);
        float[] x = [1f, float.NaN, float.NaN, 5f, 3f, 2f, 7f, 8f];   // windows: {1, NaN, 3, 2} and {NaN, 5, 7, 8}
        var y = Z(g.OutputShape);
        Acc.MaxPool2dForward(T(x, g.InputShape), y, g);
        Assert.All(y.ToArray(), v => Assert.True(float.IsNaN(v), $"pooled {v}, expected NaN"));
    }

    // Ties (values from {0, 1, 2}, as after ReLU) and NaNs, on planes of 16 and 36 outputs (the CPU's vector path, the
    // second with a part vector at each plane's end) and 4 (its scalar path): the value and index of the window's first
    // maximum in row-major order, a NaN over any number, the first NaN among several.
    [AcceleratorTheory]
    [InlineData(2, 3, 9, 9, 3, 3, 2, 2)]
    [InlineData(1, 2, 13, 13, 3, 3, 2, 2)]
    [InlineData(2, 2, 4, 4, 2, 2, 2, 2)]
    public void MaxPool2d_takes_the_first_maximum_and_propagates_nan(int n, int c, int h, int w, int kh, int kw, int sh,
        int sw)
    {
        var g = new Pool2dGeometry(n, c, h, w, kh, kw, sh, sw);
        var rng = new Random(7);
        float[] x = Enumerable.Range(0, n * c * h * w)
            .Select(_ => rng.Next(40) == 0 ? float.NaN : rng.Next(3)).ToArray();
        var y = Z(g.OutputShape); var argmax = Z(g.OutputShape);
        Acc.MaxPool2dForward(T(x, g.InputShape), y, g, argmax);
        float[] gy = y.ToArray(), ga = argmax.ToArray();
        for (int p = 0, o = 0; p < n * c; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++, o++)
                {
                    int best = -1;
                    for (int dh = 0; dh < kh; dh++)
                        for (int dw = 0; dw < kw; dw++)
                        {
                            int at = (i * sh + dh) * w + j * sw + dw;
                            float v = x[p * h * w + at];
                            if (best < 0) { best = at; continue; }
                            float b = x[p * h * w + best];
                            if (!float.IsNaN(b) && (float.IsNaN(v) || v > b)) best = at;
                        }
                    Assert.Equal(best, (int)ga[o]);
                    Assert.Equal(x[p * h * w + best], gy[o]);   // NaN equals NaN here
                }
    }

    [AcceleratorTheory, MemberData(nameof(PoolShapes))]
    public void MaxPool2d_forward_and_backward(Pool2dGeometry g)
    {
        float[] x = Rand.Distinct(g.N * g.C * g.H * g.W, 30), r = Rand.Floats(g.N * g.C * g.OutH * g.OutW, 31);
        var tx = T(x, g.InputShape); var y = Z(g.OutputShape); var dx = Z(g.InputShape);
        Acc.MaxPool2dForward(tx, y, g);
        Close.All(Ref.Pool2d(Rand.D(x), g, true), y.ToArray(), 0, 0, "max pool");
        Acc.MaxPool2dBackward(tx, T(r, g.OutputShape), dx, g);
        GradCheck(x, r, dx.ToArray(), xd => Ref.Pool2d(xd, g, true), "max pool");

        // training keeps the forward's maxima: the same output, and backward routed through them checks the same
        var argmax = Z(g.OutputShape); var y2 = Z(g.OutputShape); var dx2 = Z(g.InputShape);
        Acc.MaxPool2dForward(tx, y2, g, argmax);
        Assert.Equal(y.ToArray(), y2.ToArray());
        Acc.Fill(tx, float.NaN);   // backward must not read x when it has the indices
        Acc.MaxPool2dBackward(tx, T(r, g.OutputShape), dx2, g, argmax);
        GradCheck(x, r, dx2.ToArray(), xd => Ref.Pool2d(xd, g, true), "max pool through the forward's argmax");
    }

    [AcceleratorTheory, MemberData(nameof(PoolShapes))]
    public void AvgPool2d_forward_and_backward(Pool2dGeometry g)
    {
        float[] x = Rand.Floats(g.N * g.C * g.H * g.W, 32), r = Rand.Floats(g.N * g.C * g.OutH * g.OutW, 33);
        var y = Z(g.OutputShape); var dx = Z(g.InputShape);
        Acc.AvgPool2dForward(T(x, g.InputShape), y, g);
        Close.All(Ref.Pool2d(Rand.D(x), g, false), y.ToArray(), 1e-5, 1e-6, "avg pool");
        Acc.AvgPool2dBackward(T(r, g.OutputShape), dx, g);
        GradCheck(x, r, dx.ToArray(), xd => Ref.Pool2d(xd, g, false), "avg pool");
    }

    [AcceleratorFact]
    public void GlobalAvgPool_forward_and_backward()
    {
        float[] x = Rand.Floats(2 * 3 * 4 * 5, 34), r = Rand.Floats(6, 35);
        var y = Z(2, 3); var dx = Z(2, 3, 4, 5);
        Acc.GlobalAvgPoolForward(T(x, 2, 3, 4, 5), y);
        var g = new Pool2dGeometry(2, 3, 4, 5, 4, 5, 1, 1);
        Close.All(Ref.Pool2d(Rand.D(x), g, false), y.ToArray(), 1e-5, 1e-6, "global avg pool");
        Acc.GlobalAvgPoolBackward(T(r, 2, 3), dx);
        GradCheck(x, r, dx.ToArray(), xd => Ref.Pool2d(xd, g, false), "global avg pool");
    }
}

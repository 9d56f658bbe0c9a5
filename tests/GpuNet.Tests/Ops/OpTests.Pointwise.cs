using GpuNet.Runtime;
using GpuNet.Tests.Reference;

namespace GpuNet.Tests.Ops;

public abstract partial class OpTests
{
    private const int N = 4, C = 7;

    // Sizes around the SIMD width and the parallel grain, so tails and chunk edges are exercised.
    [AcceleratorTheory, InlineData(1), InlineData(13), InlineData(70000)]
    public void Activations_forward_and_backward(int n)
    {
        float[] x = Rand.AwayFromZero(n, 40), r = Rand.Floats(n, 41);
        var tx = T(x, n); var tr = T(r, n); var y = Z(n); var dx = Z(n);
        void Check(string name, Func<double, double> f, Action fwd, Action bwd)
        {
            fwd();
            Close.All(Ref.Map(Rand.D(x), f), y.ToArray(), 1e-5, 1e-6, name);
            bwd();
            if (n <= 13) GradCheck(x, r, dx.ToArray(), xd => Ref.Map(xd, f), name);
            else
            {   // large: analytic derivative instead of n² finite differences
                var got = dx.ToArray();
                var expected = new double[n];
                for (int i = 0; i < n; i++) expected[i] = r[i] * (f(x[i] + 1e-4) - f(x[i] - 1e-4)) / 2e-4;
                Close.All(expected, got, 2e-3, 2e-4, name + " gradient");
            }
        }
        Check("relu", Ref.Relu, () => Acc.ReluForward(tx, y), () => Acc.ReluBackward(y, tr, dx));
        Check("leaky relu", v => v > 0 ? v : 0.1 * v, () => Acc.LeakyReluForward(tx, y, 0.1f),
            () => Acc.LeakyReluBackward(tx, tr, dx, 0.1f));
        Check("sigmoid", Ref.Sigmoid, () => Acc.SigmoidForward(tx, y), () => Acc.SigmoidBackward(y, tr, dx));
        Check("tanh", Math.Tanh, () => Acc.TanhForward(tx, y), () => Acc.TanhBackward(y, tr, dx));
    }

    [AcceleratorFact]
    public void Relu_in_place_backward_may_alias_dy()
    {
        float[] x = [-1f, 2f, -3f, 4f], r = [10f, 20f, 30f, 40f];
        var y = T(x, 4); var d = T(r, 4);
        Acc.ReluForward(y, y);
        Acc.ReluBackward(y, d, d);
        Assert.Equal([0f, 20f, 0f, 40f], d.ToArray());
    }

    private static int[] Labels(int n, int c, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => r.Next(c)).ToArray();
    }
    private static float[] F(int[] labels) => labels.Select(v => (float)v).ToArray();

    [AcceleratorTheory, InlineData(false), InlineData(true)]
    public void SoftmaxCrossEntropy_forward_and_backward(bool weighted)
    {
        float[] z = Rand.Floats(N * C, 50, -3, 3), r = [0.25f, 0.25f, 0.25f, 0.25f];
        int[] labels = Labels(N, C, 51);
        float[]? w = weighted ? Rand.Floats(C, 52, 0.5f, 2f) : null;
        var probs = Z(N, C); var loss = Z(N); var dz = Z(N, C);
        var tw = w is null ? null : T(w, C);
        Acc.SoftmaxCrossEntropyForward(T(z, N, C), T(F(labels), N), tw, probs, loss);
        var (expLoss, expProbs) = Ref.SoftmaxCrossEntropy(Rand.D(z), labels, C, w is null ? null : Rand.D(w));
        Close.All(expLoss, loss.ToArray(), 1e-5, 1e-6, "CE loss");
        Close.All(expProbs, probs.ToArray(), 1e-5, 1e-7, "softmax");
        Acc.SoftmaxCrossEntropyBackward(probs, T(F(labels), N), tw, dz, 0.25f);
        GradCheck(z, r, dz.ToArray(), zd => Ref.SoftmaxCrossEntropy(zd, labels, C, w is null ? null : Rand.D(w)).Loss,
            "CE");
    }

    [AcceleratorFact]
    public void SoftmaxCrossEntropy_is_stable_for_huge_logits()
    {
        var probs = Z(1, 3); var loss = Z(1);
        Acc.SoftmaxCrossEntropyForward(T([1000f, 0f, -1000f], 1, 3), T([1f], 1), null, probs, loss);
        Assert.Equal(1000f, loss.ToArray()[0], 1e-3);
        Assert.Equal([1f, 0f, 0f], probs.ToArray());
    }

    [AcceleratorFact]
    public void Hinge_forward_and_backward()
    {
        int[] labels = Labels(N, C, 53);
        float[] s = Rand.Floats(N * C, 54, -2, 2), r = Rand.Floats(N, 55);
        // keep every margin 1 + s_j − s_y away from the kink at 0
        for (int i = 0; i < N; i++) for (int j = 0; j < C; j++)
        {
            float m = 1 + s[i * C + j] - s[i * C + labels[i]];
            if (j != labels[i] && MathF.Abs(m) < 0.05f) s[i * C + j] += 0.2f;
        }
        var loss = Z(N); var ds = Z(N, C);
        Acc.HingeForward(T(s, N, C), T(F(labels), N), loss);
        Close.All(Ref.Hinge(Rand.D(s), labels, C), loss.ToArray(), 1e-5, 1e-6, "hinge");
        // Σ r_i loss_i with a uniform r is what the backward's scale expresses
        Acc.HingeBackward(T(s, N, C), T(F(labels), N), ds, 0.5f);
        GradCheck(s, [0.5f, 0.5f, 0.5f, 0.5f], ds.ToArray(), sd => Ref.Hinge(sd, labels, C), "hinge");
    }

    [AcceleratorFact]
    public void Regression_losses_forward_and_backward()
    {
        float[] p = Rand.Floats(N * C, 56), t = Rand.Floats(N * C, 57, 0, 1), half = [0.5f, 0.5f, 0.5f, 0.5f];
        for (int i = 0; i < p.Length; i++) if (MathF.Abs(p[i] - t[i]) < 0.02f) p[i] += 0.1f;   // MAE kink
        var tp = T(p, N, C); var tt = T(t, N, C); var loss = Z(N); var d = Z(N, C);
        Func<double[], double[]> mse = a => Ref.RowMean(a, Rand.D(t), N, (x, y) => (x - y) * (x - y));
        Func<double[], double[]> mae = a => Ref.RowMean(a, Rand.D(t), N, (x, y) => Math.Abs(x - y));
        Func<double[], double[]> bce = a => Ref.RowMean(a, Rand.D(t), N, Ref.Bce);

        Acc.MseForward(tp, tt, loss); Close.All(mse(Rand.D(p)), loss.ToArray(), 1e-5, 1e-6, "MSE");
        Acc.MseBackward(tp, tt, d, 0.5f); GradCheck(p, half, d.ToArray(), mse, "MSE");
        Acc.MaeForward(tp, tt, loss); Close.All(mae(Rand.D(p)), loss.ToArray(), 1e-5, 1e-6, "MAE");
        Acc.MaeBackward(tp, tt, d, 0.5f); GradCheck(p, half, d.ToArray(), mae, "MAE");
        Acc.BinaryCrossEntropyForward(tp, tt, loss); Close.All(bce(Rand.D(p)), loss.ToArray(), 1e-5, 1e-6, "BCE");
        Acc.BinaryCrossEntropyBackward(tp, tt, d, 0.5f); GradCheck(p, half, d.ToArray(), bce, "BCE");
    }

    // 6 and 20 pixels a plane: the CPU's one-by-one path, and its 8-wide one with a tail; β = 0.75 (AlexNet's, taken
    // through square roots there) and another
    [AcceleratorTheory]
    [InlineData(1, 7, 3, 2, 0.75f), InlineData(2, 8, 3, 2, 0.75f), InlineData(4, 12, 3, 2, 0.75f)]
    [InlineData(2, 8, 5, 4, 0.75f), InlineData(2, 6, 5, 4, 0.6f)]
    public void Lrn_forward_and_backward(int groups, int c, int h, int w, float beta)
    {
        // a large alpha so the normalisation term is really tested
        var p = new LrnParameters(5, 0.5f, beta, 2f, groups);
        int n = 2;
        float[] x = Rand.Floats(n * c * h * w, 60, -2, 2), r = Rand.Floats(x.Length, 61);
        var tx = T(x, n, c, h, w); var y = Z(n, c, h, w); var scale = Z(n, c, h, w); var dx = Z(n, c, h, w);
        Acc.LrnForward(tx, y, scale, p);
        Close.All(Ref.Lrn(Rand.D(x), n, c, h * w, p), y.ToArray(), 1e-5, 1e-6, "LRN");
        Acc.LrnBackward(tx, y, scale, T(r, n, c, h, w), dx, p);
        GradCheck(x, r, dx.ToArray(), xd => Ref.Lrn(xd, n, c, h * w, p), "LRN");
        // the scale k + α/n·Σx² is raised to −β, so k must keep it positive
        var e = Assert.Throws<ArgumentException>(() => Acc.LrnForward(tx, y, scale, p with { K = 0 }));
        Assert.Contains("k=0", e.Message);
    }

    [AcceleratorTheory, InlineData(new[] { 6, 3 }), InlineData(new[] { 3, 4, 2, 3 })]
    public void BatchNorm_training_forward_and_backward(int[] shape)
    {
        int n = shape[0], c = shape[1], inner = shape.Skip(2).Aggregate(1, (a, b) => a * b);
        float[] x = Rand.Floats(n * c * inner, 62, -2, 3), g = Rand.Floats(c, 63, 0.5f, 1.5f), b = Rand.Floats(c, 64),
            r = Rand.Floats(x.Length, 65);
        var tx = T(x, shape); var tg = T(g, c); var tb = T(b, c); var y = Z(shape);
        var rm = Z(c); var rv = T(Enumerable.Repeat(1f, c).ToArray(), c); var sm = Z(c); var si = Z(c);
        Acc.BatchNormForwardTraining(tx, tg, tb, y, rm, rv, sm, si, 0.1f, 1e-5f);
        Close.All(Ref.BatchNorm(Rand.D(x), Rand.D(g), Rand.D(b), n, c, inner, 1e-5), y.ToArray(), 1e-4, 1e-5, "BN");
        // running mean moved 10% of the way to the batch mean
        var mean = Enumerable.Range(0, c).Select(ch => Enumerable.Range(0, n)
            .SelectMany(i => Enumerable.Range(0, inner).Select(k => (double)x[(i * c + ch) * inner + k])).Average())
                .ToArray();
        Close.All(mean.Select(m => 0.1 * m).ToArray(), rm.ToArray(), 1e-4, 1e-6, "running mean");

        var dx = Z(shape); var dg = Z(c); var db = Z(c);
        Acc.BatchNormBackward(tx, T(r, shape), tg, sm, si, dx, dg, db);
        GradCheck(x, r, dx.ToArray(), xd => Ref.BatchNorm(xd, Rand.D(g), Rand.D(b), n, c, inner, 1e-5), "BN dx", 5e-3,
            5e-4);
        GradCheck(g, r, dg.ToArray(), gd => Ref.BatchNorm(Rand.D(x), gd, Rand.D(b), n, c, inner, 1e-5), "BN dgamma");
        GradCheck(b, r, db.ToArray(), bd => Ref.BatchNorm(Rand.D(x), Rand.D(g), bd, n, c, inner, 1e-5), "BN dbeta");
    }

    [AcceleratorFact]
    public void BatchNorm_inference_uses_running_statistics()
    {
        float[] x = [1f, 2f, 3f, 4f];
        var y = Z(2, 2);
        Acc.BatchNormForwardInference(T(x, 2, 2), T([2f, 1f], 2), T([0.5f, -1f], 2), T([1f, 2f], 2), T([4f, 1f], 2), y,
            0f);
        // channel 0: 2·(x−1)/2 + 0.5, channel 1: (x−2)/1 − 1
        Close.All([0.5, -1.0, 2.5, 1.0], y.ToArray(), 1e-6, 1e-6, "BN inference");
    }

    [AcceleratorFact]
    public void Dropout_masks_are_inverted_seeded_and_backend_independent()
    {
        int n = 20000; float p = 0.3f;
        float[] x = Rand.Floats(n, 70), r = Rand.Floats(n, 71);
        var y = Z(n); var mask = Z(n); var dx = Z(n);
        Acc.DropoutForward(T(x, n), y, mask, p, 1234u);
        var m = mask.ToArray(); var got = y.ToArray();
        for (int i = 0; i < n; i++)
        {
            float expected = Accelerator.DropoutUniform(1234u, (uint)i) >= p ? 1f / (1f - p) : 0f;
            Assert.Equal(expected, m[i]);
            Assert.Equal(x[i] * expected, got[i], 1e-6);
        }
        double kept = m.Count(v => v > 0) / (double)n;
        Assert.InRange(kept, 0.68, 0.72);
        Acc.DropoutBackward(T(r, n), mask, dx);
        var d = dx.ToArray();
        for (int i = 0; i < n; i++) Assert.Equal(r[i] * m[i], d[i], 1e-6);
    }

    [AcceleratorFact]
    public void Dropout_indexing_gives_a_column_slice_the_masks_of_the_whole()
    {
        // a (3, 23) activation and its columns [4, 23) as a separate (3, 19) tensor draw identical mask bits (rows
        // long enough for the CPU's 8-wide path, with a tail)
        float[] x = Rand.Floats(69, 74);
        var whole = Z(3, 23); var wholeMask = Z(3, 23);
        Acc.DropoutForward(T(x, 3, 23), whole, wholeMask, 0.5f, 99u);
        var part = new float[57];
        for (int r = 0; r < 3; r++) Array.Copy(x, r * 23 + 4, part, r * 19, 19);
        var slice = Z(3, 19); var sliceMask = Z(3, 19);
        Acc.DropoutForward(T(part, 3, 19), slice, sliceMask, 0.5f, 99u, new DropoutIndexing(19, 4, 23));
        var wm = wholeMask.ToArray(); var sm = sliceMask.ToArray();
        for (int r = 0; r < 3; r++) for (int j = 0; j < 19; j++) Assert.Equal(wm[r * 23 + 4 + j], sm[r * 19 + j]);
        for (int i = 0; i < 69; i++)
            Assert.Equal(Accelerator.DropoutUniform(99u, (uint)i) >= 0.5f ? 2f : 0f, wm[i]);
    }

    [AcceleratorFact]
    public void CopyRows_concatenates_and_splits_along_the_feature_axis()
    {
        // a (2, 3) and a (2, 2) tensor into the columns [0, 3) and [3, 5) of a (2, 5) one, and back out
        var a = T([1, 2, 3, 4, 5, 6], 2, 3); var b = T([7, 8, 9, 10], 2, 2);
        var cat = T(Enumerable.Repeat(-1f, 10).ToArray(), 2, 5);
        Acc.CopyRows(a, 0, 3, cat, 0, 5, 2, 3);
        Acc.CopyRows(b, 0, 2, cat, 3, 5, 2, 2);
        Assert.Equal([1f, 2, 3, 7, 8, 4, 5, 6, 9, 10], cat.ToArray());
        var back = Z(2, 2);
        Acc.CopyRows(cat, 3, 5, back, 0, 2, 2, 2);
        Assert.Equal([7f, 8, 9, 10], back.ToArray());
        Assert.Throws<ArgumentException>(() => Acc.CopyRows(a, 0, 3, cat, 1, 5, 2, 5));
    }

    // (N, C, inner) as after a convolution, and (N, C) as after a dense layer
    [AcceleratorTheory, InlineData(2, 5), InlineData(4, 1)]
    public void BiasAdd_forward_and_backward(int n, int inner)
    {
        int len = n * 3 * inner;
        int[] shape = inner == 1 ? [n, 3] : [n, 3, inner];
        float[] y = Rand.Floats(len, 72), b = [1f, 2f, 3f], r = Rand.Floats(len, 73);
        var ty = T(y, shape); var db = Z(3);
        Acc.BiasAddForward(ty, T(b, 3));
        var got = ty.ToArray();
        for (int i = 0; i < len; i++) Assert.Equal(y[i] + b[i / inner % 3], got[i], 1e-6);
        Acc.BiasAddBackward(T(r, shape), db);
        var expected = new double[3];
        for (int i = 0; i < len; i++) expected[i / inner % 3] += r[i];
        Close.All(expected, db.ToArray(), 1e-5, 1e-6, "bias backward");
    }

    [AcceleratorFact]
    public void Elementwise_fill_copy_axpy_scale()
    {
        var a = T([1f, 2f, 3f], 3); var b = Z(3);
        Acc.Copy(a, b); Assert.Equal([1f, 2f, 3f], b.ToArray());
        Acc.Axpy(2f, a, b); Assert.Equal([3f, 6f, 9f], b.ToArray());
        Acc.Scale(b, 0.5f); Assert.Equal([1.5f, 3f, 4.5f], b.ToArray());
        Acc.Fill(b, 7f); Assert.Equal([7f, 7f, 7f], b.ToArray());
    }
}

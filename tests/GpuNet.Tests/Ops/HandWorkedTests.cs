using GpuNet.Runtime;
using GpuNet.Runtime.Cpu;

namespace GpuNet.Tests.Ops;

/// <summary>Small cases worked out by hand (numbers in the comments), independent of any reference code.</summary>
public sealed class HandWorkedTests : IDisposable
{
    private readonly CpuAccelerator _acc = new();
    public void Dispose() => _acc.Dispose();

    [Fact]
    public void Conv_3x3_input_2x2_kernel_forward_and_gradients()
    {
        // x = [1 2 3; 4 5 6; 7 8 9], w = [1 0; 0 -1], no bias → y[i,j] = x[i,j] − x[i+1,j+1] = −4 everywhere.
        var g = new Conv2dGeometry(1, 1, 3, 3, 1, 2, 2);
        using var x = _acc.FromHost([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        using var w = _acc.FromHost([1, 0, 0, -1], 1, 1, 2, 2);
        using var y = _acc.Zeros(1, 1, 2, 2);
        _acc.Conv2dForward(x, w, null, y, g);
        Assert.Equal([-4f, -4f, -4f, -4f], y.ToArray());

        // dy = [1 2; 3 4]. dw[r,s] = Σ dy[i,j] x[i+r, j+s]:
        // dw00 = 1·1+2·2+3·4+4·5 = 37, dw01 = 1·2+2·3+3·5+4·6 = 47, dw10 = 1·4+2·5+3·7+4·8 = 67, dw11 = 1·5+2·6+3·8+4·9
        // = 77
        // dx = full correlation of dy with w: dx[a,b] = Σ dy[i,j] w[a−i, b−j]:
        //   [1 2 0; 3 4−1 −2; 0 −3 −4] = [1 2 0; 3 3 −2; 0 −3 −4]; dbias = 10
        using var dy = _acc.FromHost([1, 2, 3, 4], 1, 1, 2, 2);
        using var dw = _acc.Zeros(1, 1, 2, 2); using var db = _acc.Zeros(1); using var dx = _acc.Zeros(1, 1, 3, 3);
        _acc.Conv2dBackwardFilter(x, dy, dw, db, g);
        _acc.Conv2dBackwardData(dy, w, dx, g);
        Assert.Equal([37f, 47f, 67f, 77f], dw.ToArray());
        Assert.Equal([10f], db.ToArray());
        Assert.Equal([1f, 2f, 0f, 3f, 3f, -2f, 0f, -3f, -4f], dx.ToArray());
    }

    [Fact]
    public void MaxPool_unpools_a_2x2_gradient_into_4x4_at_the_maxima()
    {
        // 4x4 input, 2x2 windows: maxima at (0,1)=9, (1,2)=8, (3,0)=7, (2,3)=6
        float[] x =
        [
            1, 9, 2, 0,
            3, 4, 8, 5,
            0, 2, 1, 6,
            7, 1, 3, 2,
        ];
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2);
        using var tx = _acc.FromHost(x, 1, 1, 4, 4); using var y = _acc.Zeros(1, 1, 2, 2);
        _acc.MaxPool2dForward(tx, y, g);
        Assert.Equal([9f, 8f, 7f, 6f], y.ToArray());
        using var dy = _acc.FromHost([10, 20, 30, 40], 1, 1, 2, 2); using var dx = _acc.Zeros(1, 1, 4, 4);
        _acc.MaxPool2dBackward(tx, dy, dx, g);
        Assert.Equal(new float[] { 0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 40, 30, 0, 0, 0 }, dx.ToArray());
    }

    [Fact]
    public void AvgPool_unpools_a_2x2_gradient_into_4x4_evenly()
    {
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2);
        using var dy = _acc.FromHost([4, 8, 12, 16], 1, 1, 2, 2); using var dx = _acc.Zeros(1, 1, 4, 4);
        _acc.AvgPool2dBackward(dy, dx, g);
        Assert.Equal(new float[] { 1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4 }, dx.ToArray());
    }

    [Fact]
    public void Softmax_cross_entropy_gradient_is_probabilities_minus_one_hot()
    {
        // logits (0, ln 2, ln 5) → softmax (1/8, 2/8, 5/8); label 2 → loss −ln(5/8), gradient (1/8, 2/8, −3/8)
        using var z = _acc.FromHost([0f, MathF.Log(2), MathF.Log(5)], 1, 3);
        using var labels = _acc.FromHost([2f], 1);
        using var p = _acc.Zeros(1, 3); using var loss = _acc.Zeros(1); using var dz = _acc.Zeros(1, 3);
        _acc.SoftmaxCrossEntropyForward(z, labels, null, p, loss);
        _acc.SoftmaxCrossEntropyBackward(p, labels, null, dz, 1f);
        Assert.Equal(-MathF.Log(5f / 8f), loss.ToArray()[0], 1e-6);
        var d = dz.ToArray();
        Assert.Equal(1f / 8, d[0], 1e-6); Assert.Equal(2f / 8, d[1], 1e-6); Assert.Equal(-3f / 8, d[2], 1e-6);
    }

    [Fact]
    public void Adam_three_steps_by_hand()
    {
        // w = 1, constant g = 0.5, lr 0.1, β1 0.9, β2 0.999, ε 0: m̂ = g and v̂ = g² at every step (bias correction is
        // exact for a constant gradient), so each step moves w by exactly lr · g/|g| = 0.1: 1 → 0.9 → 0.8 → 0.7.
        using var w = _acc.FromHost([1f], 1); using var g = _acc.FromHost([0.5f], 1);
        using var m = _acc.Zeros(1); using var v = _acc.Zeros(1);
        float[] expected = [0.9f, 0.8f, 0.7f];
        for (int t = 1; t <= 3; t++)
        {
            _acc.AdamUpdate(w, g, m, v, 0.1f, 0.9f, 0.999f, 0f, t, 0f, 0f);
            Assert.Equal(expected[t - 1], w.ToArray()[0], 1e-5);
        }
        // after step 3: m = 0.5·(1 − 0.9³) = 0.1355, v = 0.25·(1 − 0.999³) = 0.00074925
        Assert.Equal(0.1355f, m.ToArray()[0], 1e-6);
        Assert.Equal(0.00074925f, v.ToArray()[0], 1e-8);
    }
}

namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>
    /// y = max over each window of x (padding never wins; a NaN in the window wins, as in libtorch).
    /// x: (N, C, H, W), y: (N, C, OH, OW). With <paramref name="argmax"/> (the shape of y), each cell's first maximum
    /// is kept as its plane-local index h·W + w (held exactly by a float up to 2^24), for backward to route through.
    /// </summary>
    public void MaxPool2dForward(Tensor x, Tensor y, Pool2dGeometry g, Tensor? argmax = null)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(y, nameof(y), g.OutputShape);
        if (argmax is not null) CheckArgmax(argmax, g);
        MaxPool2dForwardInternal(x, y, argmax, g);
    }

    /// <summary>
    /// dx = dy routed to the first maximum of each window; overlapping windows add. dx is overwritten. With the
    /// forward's <paramref name="argmax"/> the maxima are not searched again (x is then only checked for its shape).
    /// </summary>
    public void MaxPool2dBackward(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry g, Tensor? argmax = null)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(dy, nameof(dy), g.OutputShape); Check(dx, nameof(dx), g.InputShape);
        if (argmax is not null) CheckArgmax(argmax, g);
        MaxPool2dBackwardInternal(x, dy, dx, argmax, g);
    }

    private void CheckArgmax(Tensor argmax, Pool2dGeometry g)
    {
        Check(argmax, nameof(argmax), g.OutputShape);
        if ((long)g.H * g.W > 1 << 24)
            throw new ArgumentException(
                $"max-pool indices of a {g.H}x{g.W} plane do not fit a float exactly (at most 2^24 elements)");
    }

    /// <summary>
    /// y = mean over each window of x, padding counted in the divisor (window clipped to the padded input).
    /// </summary>
    public void AvgPool2dForward(Tensor x, Tensor y, Pool2dGeometry g)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(y, nameof(y), g.OutputShape);
        AvgPool2dForwardInternal(x, y, g);
    }

    /// <summary>dx = each dy spread evenly over its window. dx is overwritten.</summary>
    public void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        g.Validate();
        Check(dy, nameof(dy), g.OutputShape); Check(dx, nameof(dx), g.InputShape);
        AvgPool2dBackwardInternal(dy, dx, g);
    }

    /// <summary>y[n, c] = mean of x[n, c, :, :]. x: (N, C, H, W), y: (N, C).</summary>
    public void GlobalAvgPoolForward(Tensor x, Tensor y)
    {
        var (n, c, inner) = Nci(x, nameof(x));
        Check(x, nameof(x)); Check(y, nameof(y), n, c);
        GlobalAvgPoolForwardInternal(x, y, n * c, inner);
    }

    /// <summary>dx[n, c, :, :] = dy[n, c] / (H·W).</summary>
    public void GlobalAvgPoolBackward(Tensor dy, Tensor dx)
    {
        var (n, c, inner) = Nci(dx, nameof(dx));
        Check(dx, nameof(dx)); Check(dy, nameof(dy), n, c);
        GlobalAvgPoolBackwardInternal(dy, dx, n * c, inner);
    }

    protected abstract void MaxPool2dForwardInternal(Tensor x, Tensor y, Tensor? argmax, Pool2dGeometry g);
    protected abstract void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Tensor? argmax, Pool2dGeometry g);
    protected abstract void AvgPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g);
    protected abstract void AvgPool2dBackwardInternal(Tensor dy, Tensor dx, Pool2dGeometry g);
    protected abstract void GlobalAvgPoolForwardInternal(Tensor x, Tensor y, int planes, int planeSize);
    protected abstract void GlobalAvgPoolBackwardInternal(Tensor dy, Tensor dx, int planes, int planeSize);
}

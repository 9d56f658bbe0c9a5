namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>y = max over each window of x (padding never wins). x: (N, C, H, W), y: (N, C, OH, OW).</summary>
    public void MaxPool2dForward(Tensor x, Tensor y, Pool2dGeometry g)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(y, nameof(y), g.OutputShape);
        MaxPool2dForwardInternal(x, y, g);
    }

    /// <summary>
    /// dx = dy routed to the first maximum of each window of x (recomputed from x, so no index buffer is kept);
    /// overlapping windows add. dx is overwritten.
    /// </summary>
    public void MaxPool2dBackward(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry g)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(dy, nameof(dy), g.OutputShape); Check(dx, nameof(dx), g.InputShape);
        MaxPool2dBackwardInternal(x, dy, dx, g);
    }

    /// <summary>y = mean over each window of x, padding counted in the divisor (window clipped to the padded input).</summary>
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

    protected abstract void MaxPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g);
    protected abstract void MaxPool2dBackwardInternal(Tensor x, Tensor dy, Tensor dx, Pool2dGeometry g);
    protected abstract void AvgPool2dForwardInternal(Tensor x, Tensor y, Pool2dGeometry g);
    protected abstract void AvgPool2dBackwardInternal(Tensor dy, Tensor dx, Pool2dGeometry g);
    protected abstract void GlobalAvgPoolForwardInternal(Tensor x, Tensor y, int planes, int planeSize);
    protected abstract void GlobalAvgPoolBackwardInternal(Tensor dy, Tensor dx, int planes, int planeSize);
}

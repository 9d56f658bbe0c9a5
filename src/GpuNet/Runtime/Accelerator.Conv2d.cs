namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>
    /// y = conv(x, w) + bias, or with relu max(0, conv(x, w) + bias) (the epilogue of a convolution followed by a
    /// ReLU, as ReluForward would compute it, NaN included). x: (N, C, H, W), w: (K, C/G, R, S), bias: (K) or null,
    /// y: (N, K, OH, OW).
    /// </summary>
    public void Conv2dForward(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g, bool relu = false)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(w, nameof(w), g.FilterShape); Check(y, nameof(y), g.OutputShape);
        if (bias is not null) Check(bias, nameof(bias), g.K);
        Conv2dForwardInternal(x, w, bias, y, g, relu);
    }

    /// <summary>
    /// dx = conv_transpose(dy, w). dy: (N, K, OH, OW), w: (K, C/G, R, S), dx: (N, C, H, W), overwritten.
    /// </summary>
    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g)
    {
        g.Validate();
        Check(dy, nameof(dy), g.OutputShape); Check(w, nameof(w), g.FilterShape); Check(dx, nameof(dx), g.InputShape);
        Conv2dBackwardDataInternal(dy, w, dx, g);
    }

    /// <summary>
    /// dw = Σ_n dy ⋆ x, dbias = Σ_{n,h,w} dy. x: (N, C, H, W), dy: (N, K, OH, OW); dw, dbias overwritten.
    /// </summary>
    public void Conv2dBackwardFilter(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        g.Validate();
        Check(x, nameof(x), g.InputShape); Check(dy, nameof(dy), g.OutputShape); Check(dw, nameof(dw), g.FilterShape);
        if (dbias is not null) Check(dbias, nameof(dbias), g.K);
        Conv2dBackwardFilterInternal(x, dy, dw, dbias, g);
    }

    protected abstract void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g,
        bool relu);
    protected abstract void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g);
    protected abstract void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias,
        Conv2dGeometry g);
}

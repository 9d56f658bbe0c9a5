namespace GpuNet.Runtime;

public abstract partial class Accelerator
{
    /// <summary>t[i] = value.</summary>
    public void Fill(Tensor t, float value) { Check(t, nameof(t)); FillInternal(t, value); }

    /// <summary>dst[i] = src[i]; same element count, same accelerator.</summary>
    public void Copy(Tensor src, Tensor dst)
    {
        Check(src, nameof(src)); Check(dst, nameof(dst));
        CheckSameLength(src, nameof(src), dst, nameof(dst)); CopyInternal(src, dst);
    }

    /// <summary>y += alpha · x.</summary>
    public void Axpy(float alpha, Tensor x, Tensor y)
    {
        Check(x, nameof(x)); Check(y, nameof(y));
        CheckSameLength(x, nameof(x), y, nameof(y)); AxpyInternal(alpha, x, y);
    }

    /// <summary>t *= alpha.</summary>
    public void Scale(Tensor t, float alpha) { Check(t, nameof(t)); ScaleInternal(t, alpha); }

    /// <summary>y[n, c, i] += bias[c]. y: (N, C, ...), bias: (C).</summary>
    public void BiasAddForward(Tensor y, Tensor bias)
    {
        var (n, c, inner) = Nci(y, nameof(y));
        Check(y, nameof(y)); Check(bias, nameof(bias), c);
        BiasAddForwardInternal(y, bias, n, c, inner);
    }

    /// <summary>dbias[c] = Σ_{n, i} dy[n, c, i] (overwritten).</summary>
    public void BiasAddBackward(Tensor dy, Tensor dbias)
    {
        var (n, c, inner) = Nci(dy, nameof(dy));
        Check(dy, nameof(dy)); Check(dbias, nameof(dbias), c);
        BiasAddBackwardInternal(dy, dbias, n, c, inner);
    }

    /// <summary>
    /// Inverted dropout: mask[i] = (u_i ≥ p) / (1 − p) with u_i a counter-based hash of (seed, i), the same on every
    /// backend; y = x · mask.
    /// </summary>
    public void DropoutForward(Tensor x, Tensor y, Tensor mask, float p, uint seed, DropoutIndexing? indexing = null)
    {
        if (p is < 0f or >= 1f)
            throw new ArgumentOutOfRangeException(nameof(p), $"dropout probability must be in [0, 1), got {p}");
        CheckUnary(x, y); Check(mask, nameof(mask)); CheckSameLength(x, nameof(x), mask, nameof(mask));
        var ix = indexing ?? new DropoutIndexing(x.Length, 0, x.Length);
        if (ix.RowLength < 1 || x.Length % ix.RowLength != 0 || ix.RowOffset < 0 ||
            ix.RowOffset + ix.RowLength > ix.GlobalRowLength || ix.FirstRow < 0)
            throw new ArgumentException($"dropout indexing {ix} does not fit a tensor of {x.Length} elements");
        DropoutForwardInternal(x, y, mask, p, seed, ix);
    }

    /// <summary>
    /// Copies <paramref name="rows"/> rows of <paramref name="rowLength"/> elements: row r from src[srcOffset +
    /// r·srcStride]
    /// to dst[dstOffset + r·dstStride]. Concatenates and splits tensors along the channel (or feature) axis.
    /// </summary>
    public void CopyRows(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows,
        int rowLength)
    {
        Check(src, nameof(src)); Check(dst, nameof(dst));
        if (rows < 0 || rowLength < 0) throw new ArgumentException($"CopyRows: negative size {rows}x{rowLength}");
        if (rows == 0 || rowLength == 0) return;
        if (srcOffset < 0 || (long)srcOffset + (long)(rows - 1) * srcStride + rowLength > src.Length)
            throw new ArgumentException(
                $"CopyRows: {rows} rows of {rowLength} at offset {srcOffset}, stride {srcStride} run past the " +
                $"source's {src.Length} elements");
        if (dstOffset < 0 || (long)dstOffset + (long)(rows - 1) * dstStride + rowLength > dst.Length)
            throw new ArgumentException(
                $"CopyRows: {rows} rows of {rowLength} at offset {dstOffset}, stride {dstStride} run past the " +
                $"destination's {dst.Length} elements");
        CopyRowsInternal(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, rowLength);
    }

    /// <summary>dx = dy · mask.</summary>
    public void DropoutBackward(Tensor dy, Tensor mask, Tensor dx)
    {
        CheckBinary(mask, dy, dx);
        DropoutBackwardInternal(dy, mask, dx);
    }

    protected abstract void FillInternal(Tensor t, float value);
    protected abstract void CopyInternal(Tensor src, Tensor dst);
    protected abstract void AxpyInternal(float alpha, Tensor x, Tensor y);
    protected abstract void ScaleInternal(Tensor t, float alpha);
    protected abstract void BiasAddForwardInternal(Tensor y, Tensor bias, int n, int c, int inner);
    protected abstract void BiasAddBackwardInternal(Tensor dy, Tensor dbias, int n, int c, int inner);
    protected abstract void DropoutForwardInternal(Tensor x, Tensor y, Tensor mask, float p, uint seed,
        DropoutIndexing indexing);
    protected abstract void CopyRowsInternal(Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset,
        int dstStride, int rows, int rowLength);
    protected abstract void DropoutBackwardInternal(Tensor dy, Tensor mask, Tensor dx);

    /// <summary>
    /// The dropout hash: uniform in [0, 1) from (seed, index), the kernels' own rule (<c>Kernels.Rules</c>), so masks
    /// agree bit for bit across backends.
    /// </summary>
    public static float DropoutUniform(uint seed, uint index) => Kernels.Rules.DropoutUniform(seed, index);
}

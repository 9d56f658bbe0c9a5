namespace GpuNet.Runtime;

/// <summary>
/// Shape of a 2-D convolution: input x (N, C, H, W), filters w (K, C/Groups, R, S), output y (N, K, OutH, OutW).
/// </summary>
public readonly record struct Conv2dGeometry(
    int N, int C, int H, int W, int K, int R, int S,
    int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0, int Groups = 1)
{
    public int OutH => (H + 2 * PadH - R) / StrideH + 1;
    public int OutW => (W + 2 * PadW - S) / StrideW + 1;
    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;
    /// <summary>Filters per group.</summary>
    public int Kg => K / Groups;
    public int[] InputShape => [N, C, H, W];
    public int[] FilterShape => [K, C / Groups, R, S];
    public int[] OutputShape => [N, K, OutH, OutW];

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || K <= 0 || R <= 0 || S <= 0)
            throw new ArgumentException($"convolution sizes must be positive: {this}");
        if (StrideH <= 0 || StrideW <= 0 || PadH < 0 || PadW < 0 || Groups <= 0)
            throw new ArgumentException($"convolution stride must be positive and padding non-negative: {this}");
        if (C % Groups != 0 || K % Groups != 0)
            throw new ArgumentException($"groups={Groups} must divide input channels {C} and filters {K}");
        if (OutH <= 0 || OutW <= 0 || H + 2 * PadH < R || W + 2 * PadW < S)
            throw new ArgumentException($"a {R}x{S} kernel does not fit a {H}x{W} input padded by {PadH},{PadW}");
    }
}

/// <summary>
/// Shape of a 2-D pooling window: input x (N, C, H, W), output y (N, C, OutH, OutW), floor mode
/// (AlexNet's overlapping 3×3 stride 2 pooling maps 55 → 27 → 13 → 6).
/// </summary>
public readonly record struct Pool2dGeometry(
    int N, int C, int H, int W, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH = 0, int PadW = 0)
{
    public int OutH => (H + 2 * PadH - KernelH) / StrideH + 1;
    public int OutW => (W + 2 * PadW - KernelW) / StrideW + 1;
    public int[] InputShape => [N, C, H, W];
    public int[] OutputShape => [N, C, OutH, OutW];

    public void Validate()
    {
        if (N <= 0 || C <= 0 || H <= 0 || W <= 0 || KernelH <= 0 || KernelW <= 0 || StrideH <= 0 || StrideW <= 0)
            throw new ArgumentException($"pooling sizes must be positive: {this}");
        if (PadH < 0 || PadW < 0 || PadH >= KernelH || PadW >= KernelW)
            throw new ArgumentException(
                $"pooling padding must be in [0, kernel): got padding {PadH} with a {KernelH}x{KernelW} window");
        if (OutH <= 0 || OutW <= 0 || H + 2 * PadH < KernelH || W + 2 * PadW < KernelW)
            throw new ArgumentException($"a {KernelH}x{KernelW} window does not fit a {H}x{W} input");
    }
}

/// <summary>
/// Local response normalisation across channels (AlexNet: Size 5, K 2, Alpha 1e-4, Beta 0.75). With Groups > 1 the
/// channel window never crosses a group boundary, as in the 2012 network where each GPU normalised its own kernel maps.
/// </summary>
public readonly record struct LrnParameters(int Size = 5, float Alpha = 1e-4f, float Beta = 0.75f, float K = 2f,
    int Groups = 1);

/// <summary>
/// Which hash index dropout uses for each element: element i of a tensor with rows of RowLength is row n = i /
/// RowLength,
/// column j = i % RowLength, and draws index (FirstRow + n)·GlobalRowLength + RowOffset + j. A tower holding columns
/// [off, off + w) of a (N, total) activation passes (w, off, total) and gets exactly the mask bits of the undivided
/// tensor; a data-parallel rank whose rows start at row s of the global batch passes FirstRow s and gets that batch's.
/// </summary>
public readonly record struct DropoutIndexing(int RowLength, int RowOffset, int GlobalRowLength, int FirstRow = 0);

/// <summary>How an accelerator runs convolutions.</summary>
public enum ConvAlgorithm
{
    /// <summary>
    /// A fixed rule per shape: direct kernels for small work, im2col + GEMM for large (deterministic).
    /// </summary>
    Auto,
    /// <summary>One thread per output (input, filter) element.</summary>
    Direct,
    /// <summary>im2col/col2im around the tiled GEMM, several images per GEMM.</summary>
    Im2colGemm,
    /// <summary>Times both once per shape and keeps the faster (opt-in; recorded in <c>ConvChoices</c>).</summary>
    Measure,
}

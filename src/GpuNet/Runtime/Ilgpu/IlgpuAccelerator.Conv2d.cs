using System.Diagnostics;
using GpuNet.Kernels;

using F = ILGPU.ArrayView<float>;

namespace GpuNet.Runtime.Ilgpu;

// Convolution: direct kernels, or im2col/col2im around the tiled GEMM with several images per GEMM. Which one is a
// fixed rule per shape (ConvAlgorithm.Auto), so a seed gives the same run on the same device; ConvAlgorithm.Measure
// times both once per op and shape and keeps the faster, recorded in ConvChoices.
public sealed partial class IlgpuAccelerator
{
    private readonly Dictionary<(string Op, Conv2dGeometry G), ConvAlgorithm> _convChoice = [];
    private const int ConvColumnsTarget = 4096;
    private const int ConvWorkspaceFloats = 16 << 20;   // 64 MB cap on the column buffer
    private const long GemmConvBelow = 1L << 24;         // multiply-adds under which the direct kernels run

    /// <summary>The algorithm Measure picked for each op and shape.</summary>
    public IReadOnlyDictionary<(string Op, Conv2dGeometry G), ConvAlgorithm> ConvChoices => _convChoice;

    /// <summary>The fixed rule: im2col + GEMM once a layer has enough work and filters for the tiled GEMM.</summary>
    public static ConvAlgorithm RuleFor(Conv2dGeometry g)
    {
        long macs = (long)g.N * g.K * g.OutH * g.OutW * g.Cg * g.R * g.S;
        return macs >= GemmConvBelow && g.Kg >= 16 ? ConvAlgorithm.Im2colGemm : ConvAlgorithm.Direct;
    }

    private void Convolve(string op, Conv2dGeometry g, Action direct, Action gemm)
    {
        var algo = ConvAlgorithm switch
        {
            ConvAlgorithm.Auto => RuleFor(g),
            ConvAlgorithm.Measure => Measured(op, g, direct, gemm),
            var fixedChoice => fixedChoice,
        };
        (algo == ConvAlgorithm.Direct ? direct : gemm)();
    }

    private ConvAlgorithm Measured(string op, Conv2dGeometry g, Action direct, Action gemm)
    {
        if (_convChoice.TryGetValue((op, g), out var algo)) return algo;
        direct(); gemm(); Synchronize();   // warm-up: compiles both
        double td = Milliseconds(direct), tg = Milliseconds(gemm);
        return _convChoice[(op, g)] = td <= tg ? ConvAlgorithm.Direct : ConvAlgorithm.Im2colGemm;
    }

    private double Milliseconds(Action run)
    {
        var sw = Stopwatch.StartNew();
        run();
        Synchronize();
        return sw.Elapsed.TotalMilliseconds;
    }

    private static ConvShape Shape(Conv2dGeometry g) => new()
    {
        N = g.N, C = g.C, H = g.H, W = g.W, K = g.K, R = g.R, S = g.S, StrideH = g.StrideH, StrideW = g.StrideW,
        PadH = g.PadH, PadW = g.PadW, Groups = g.Groups, OH = g.OutH, OW = g.OutW,
    };

    /// <summary>
    /// Images per GEMM and the scratch tensors: col (CgRS, images·OHW) and the output matrix (Kg, images·OHW).
    /// </summary>
    private (int Images, Tensor Col, Tensor Mat) Workspace(Conv2dGeometry g)
    {
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S;
        int images = Math.Clamp((ConvColumnsTarget + ohw - 1) / ohw, 1, g.N);
        images = Math.Max(1, Math.Min(images, ConvWorkspaceFloats / Math.Max(1, (crs + g.Kg) * ohw)));
        int colLen = crs * images * ohw, matLen = g.Kg * images * ohw;
        var ws = Scratch(colLen + matLen);
        return (images, ws.Slice(0, colLen), ws.Slice(colLen, matLen));
    }

    /// <summary>
    /// Runs body(chunk, cols, col, mat) for each chunk of images and each group, sharing the workspace.
    /// </summary>
    private void ForEachChunk(Conv2dGeometry g, Action<ConvChunk, int, Tensor, Tensor> body)
    {
        var (images, col, mat) = Workspace(g);
        int ohw = g.OutH * g.OutW;
        for (int n0 = 0; n0 < g.N; n0 += images)
        {
            int count = Math.Min(images, g.N - n0);
            for (int grp = 0; grp < g.Groups; grp++)
                body(new ConvChunk { N0 = n0, Count = count, Group = grp }, count * ohw, col, mat);
        }
    }

    // The ReLU epilogue runs as the ReLU kernel over y after the convolution: one launch more, not a fused one.
    protected override void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g,
        bool relu)
    {
        Conv2dForwardUnfused(x, w, bias, y, g);
        if (relu) ReluForwardInternal(y, y);
    }

    private void Conv2dForwardUnfused(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g) =>
        Convolve("forward", g,
            () => K<F, F, F, int, F, ConvShape>(Conv2dKernels.Conv2dForward)(
                Stride(y.Length), V(x), V(w), V(bias ?? w), bias is null ? 0 : 1,
                V(y), Shape(g)),
            () => ForEachChunk(g, (chunk, cols, col, mat) =>
            {
                int crs = g.Cg * g.R * g.S;
                K<F, F, ConvShape, ConvChunk>(Conv2dKernels.Conv2dIm2col)(
                    Stride(crs * cols), V(x), V(col), Shape(g), chunk);
                // mat (Kg, cols) = w_g (Kg, CgRS) · col (CgRS, cols)
                GemmInternal(false, false, g.Kg, cols, crs, 1f, w, chunk.Group * g.Kg * crs, crs, col, 0, cols,
                    0f, mat, 0, cols);
                OutputMatrix(y, mat, bias, toMatrix: false, chunk, g);
            }));

    protected override void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g) =>
        Convolve("backward_data", g,
            () => K<F, F, F, ConvShape>(Conv2dKernels.Conv2dBackwardData)(
                Stride(dx.Length), V(dy), V(w), V(dx), Shape(g)),
            () => ForEachChunk(g, (chunk, cols, col, mat) =>
            {
                int crs = g.Cg * g.R * g.S;
                OutputMatrix(dy, mat, null, toMatrix: true, chunk, g);
                // col (CgRS, cols) = w_gᵀ (CgRS, Kg) · mat (Kg, cols)
                GemmInternal(true, false, crs, cols, g.Kg, 1f, w, chunk.Group * g.Kg * crs, crs, mat, 0, cols,
                    0f, col, 0, cols);
                K<F, F, ConvShape, ConvChunk>(Conv2dKernels.Conv2dCol2im)(
                    Stride(chunk.Count * g.Cg * g.H * g.W), V(col), V(dx), Shape(g), chunk);
            }));

    protected override void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias,
        Conv2dGeometry g)
    {
        Convolve("backward_filter", g,
            () => K<F, F, F, ConvShape>(Conv2dKernels.Conv2dBackwardFilter)(
                Stride(dw.Length), V(x), V(dy), V(dw), Shape(g)),
            () => ForEachChunk(g, (chunk, cols, col, mat) =>
            {
                int crs = g.Cg * g.R * g.S;
                K<F, F, ConvShape, ConvChunk>(Conv2dKernels.Conv2dIm2col)(
                    Stride(crs * cols), V(x), V(col), Shape(g), chunk);
                OutputMatrix(dy, mat, null, toMatrix: true, chunk, g);
                // dw_g (Kg, CgRS) (+)= mat (Kg, cols) · colᵀ (cols, CgRS)
                GemmInternal(false, true, g.Kg, crs, cols, 1f, mat, 0, cols, col, 0, cols, chunk.N0 == 0 ? 0f : 1f,
                    dw, chunk.Group * g.Kg * crs, crs);
            }));
        if (dbias is not null) BiasAddBackwardInternal(dy, dbias, g.N, g.K, g.OutH * g.OutW);
    }

    private void OutputMatrix(Tensor y, Tensor mat, Tensor? bias, bool toMatrix, ConvChunk chunk, Conv2dGeometry g) =>
        K<F, F, F, int, int, ConvShape, ConvChunk>(Conv2dKernels.Conv2dOutputMatrix)(
            Stride(g.Kg * chunk.Count * g.OutH * g.OutW), V(y), V(mat),
            V(bias ?? mat), bias is null ? 0 : 1, toMatrix ? 1 : 0, Shape(g), chunk);
}

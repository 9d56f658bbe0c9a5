using System.Diagnostics;

namespace GpuNet.Runtime;

// Convolution on a kernel accelerator (OpenCL, CUDA): direct kernels (conv2d_forward, conv2d_backward_data, conv2d_backward_filter) or im2col/col2im
// around the tiled GEMM, several images per GEMM. With ConvAlgorithm.Auto the first call of each op and shape runs both,
// times them (after a warm-up that builds the programs) and keeps the faster for that shape.
public abstract partial class KernelAccelerator
{
    private readonly Dictionary<(string Op, Conv2dGeometry G), ConvAlgorithm> _convChoice = [];
    private const int ConvColumnsTarget = 4096;
    private const int ConvWorkspaceFloats = 16 << 20;   // 64 MB cap on the column buffer

    /// <summary>The algorithm Auto picked for an op and shape, once measured (for diagnostics and benchmarks).</summary>
    public IReadOnlyDictionary<(string Op, Conv2dGeometry G), ConvAlgorithm> ConvChoices => _convChoice;

    private void Convolve(string op, Conv2dGeometry g, Action direct, Action gemm)
    {
        var algo = ConvAlgorithm;
        if (algo == ConvAlgorithm.Auto && !_convChoice.TryGetValue((op, g), out algo))
        {
            direct(); gemm(); Synchronize();                 // warm-up: builds both programs
            double td = TimeMilliseconds(direct), tg = TimeMilliseconds(gemm);
            algo = _convChoice[(op, g)] = td <= tg ? ConvAlgorithm.Direct : ConvAlgorithm.Im2colGemm;
        }
        (algo == ConvAlgorithm.Direct ? direct : gemm)();
    }

    /// <summary>How long the work <paramref name="run"/> queues takes, waiting for it to finish (CUDA times it with events).</summary>
    protected virtual double TimeMilliseconds(Action run)
    {
        var sw = Stopwatch.StartNew();
        run();
        Synchronize();
        return sw.Elapsed.TotalMilliseconds;
    }

    private KernelCall Geometry(KernelCall call, Conv2dGeometry g) =>
        call.Int(g.N).Int(g.C).Int(g.H).Int(g.W).Int(g.K).Int(g.R).Int(g.S).Int(g.StrideH).Int(g.StrideW).Int(g.PadH).Int(g.PadW).Int(g.Groups).Int(g.OutH).Int(g.OutW);

    /// <summary>Images per GEMM and the scratch tensors: col (CgRS, images·OHW) and the output matrix (Kg, images·OHW).</summary>
    private (int Images, Tensor Col, Tensor Mat) Workspace(Conv2dGeometry g)
    {
        int ohw = g.OutH * g.OutW, crs = g.Cg * g.R * g.S;
        int images = Math.Clamp((ConvColumnsTarget + ohw - 1) / ohw, 1, g.N);
        images = Math.Max(1, Math.Min(images, ConvWorkspaceFloats / Math.Max(1, (crs + g.Kg) * ohw)));
        int colLen = crs * images * ohw, matLen = g.Kg * images * ohw;
        var ws = Scratch(colLen + matLen);
        return (images, ws.Slice(0, colLen), ws.Slice(colLen, matLen));
    }

    /// <summary>Runs body(n0, count, cols, group, col, mat) for each chunk of images and each group, sharing the workspace.</summary>
    private void ForEachChunk(Conv2dGeometry g, Action<int, int, int, int, Tensor, Tensor> body)
    {
        var (images, col, mat) = Workspace(g);
        int ohw = g.OutH * g.OutW;
        for (int n0 = 0; n0 < g.N; n0 += images)
        {
            int count = Math.Min(images, g.N - n0);
            for (int grp = 0; grp < g.Groups; grp++) body(n0, count, count * ohw, grp, col, mat);
        }
    }

    protected override void Conv2dForwardInternal(Tensor x, Tensor w, Tensor? bias, Tensor y, Conv2dGeometry g) => Convolve("forward", g,
        () => Geometry(Kernel("conv2d.cl", "conv2d_forward").Buf(x).Buf(w).Buf(bias ?? w).Int(bias is null ? 0 : 1).Buf(y), g).Launch(y.Length),
        () => ForEachChunk(g, (n0, count, cols, grp, col, mat) =>
        {
            int crs = g.Cg * g.R * g.S;
            Geometry(Kernel("conv2d.cl", "conv2d_im2col").Buf(x).Buf(col).Int(n0).Int(count).Int(grp), g).Launch(crs * cols);
            // mat (Kg, cols) = w_g (Kg, CgRS) · col (CgRS, cols)
            GemmInternal(false, false, g.Kg, cols, crs, 1f, w, grp * g.Kg * crs, crs, col, 0, cols, 0f, mat, 0, cols);
            OutputMatrix(y, mat, bias, toMatrix: false, n0, count, grp, g);
        }));

    protected override void Conv2dBackwardDataInternal(Tensor dy, Tensor w, Tensor dx, Conv2dGeometry g) => Convolve("backward_data", g,
        () => Geometry(Kernel("conv2d.cl", "conv2d_backward_data").Buf(dy).Buf(w).Buf(dx), g).Launch(dx.Length),
        () => ForEachChunk(g, (n0, count, cols, grp, col, mat) =>
        {
            int crs = g.Cg * g.R * g.S;
            OutputMatrix(dy, mat, null, toMatrix: true, n0, count, grp, g);
            // col (CgRS, cols) = w_gᵀ (CgRS, Kg) · mat (Kg, cols)
            GemmInternal(true, false, crs, cols, g.Kg, 1f, w, grp * g.Kg * crs, crs, mat, 0, cols, 0f, col, 0, cols);
            Geometry(Kernel("conv2d.cl", "conv2d_col2im").Buf(col).Buf(dx).Int(n0).Int(count).Int(grp), g).Launch(count * g.Cg * g.H * g.W);
        }));

    protected override void Conv2dBackwardFilterInternal(Tensor x, Tensor dy, Tensor dw, Tensor? dbias, Conv2dGeometry g)
    {
        Convolve("backward_filter", g,
            () => Geometry(Kernel("conv2d.cl", "conv2d_backward_filter").Buf(x).Buf(dy).Buf(dw), g).Launch(dw.Length),
            () => ForEachChunk(g, (n0, count, cols, grp, col, mat) =>
            {
                int crs = g.Cg * g.R * g.S;
                Geometry(Kernel("conv2d.cl", "conv2d_im2col").Buf(x).Buf(col).Int(n0).Int(count).Int(grp), g).Launch(crs * cols);
                OutputMatrix(dy, mat, null, toMatrix: true, n0, count, grp, g);
                // dw_g (Kg, CgRS) (+)= mat (Kg, cols) · colᵀ (cols, CgRS)
                GemmInternal(false, true, g.Kg, crs, cols, 1f, mat, 0, cols, col, 0, cols, n0 == 0 ? 0f : 1f, dw, grp * g.Kg * crs, crs);
            }));
        if (dbias is not null) BiasAddBackwardInternal(dy, dbias, g.N, g.K, g.OutH * g.OutW);
    }

    private void OutputMatrix(Tensor y, Tensor mat, Tensor? bias, bool toMatrix, int n0, int count, int grp, Conv2dGeometry g) =>
        Kernel("conv2d.cl", "conv2d_output_matrix").Buf(y).Buf(mat).Buf(bias ?? mat).Int(bias is null ? 0 : 1).Int(toMatrix ? 1 : 0)
            .Int(n0).Int(count).Int(grp).Int(g.K).Int(g.Groups).Int(g.OutH * g.OutW).Launch(g.Kg * count * g.OutH * g.OutW);
}

using ILGPU;

namespace GpuNet.Kernels;

/// <summary>Fills and copies inside one device; grid-stride over elements.</summary>
public static class CopyKernels
{
    /// <summary>t[i] = value.</summary>
    public static void Fill(ArrayView<float> t, float value)
    {
        int n = t.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) t[i] = value;
    }

    /// <summary>dst[i] = src[i].</summary>
    public static void Copy(ArrayView<float> src, ArrayView<float> dst)
    {
        int n = src.IntLength;
        for (int i = Threads.Start, step = Threads.Step; i < n; i += step) dst[i] = src[i];
    }

    /// <summary>
    /// rows × rowLength elements: dst[r·dstStride + j] = src[r·srcStride + j] (channel concatenation and splits).
    /// </summary>
    public static void CopyRows(ArrayView<float> src, ArrayView<float> dst, RowCopy rc)
    {
        int n = rc.Rows * rc.RowLength;
        for (int e = Threads.Start, step = Threads.Step; e < n; e += step)
        {
            int r = e / rc.RowLength, j = e - r * rc.RowLength;
            dst[r * rc.DstStride + j] = src[r * rc.SrcStride + j];
        }
    }
}

/// <summary>The layout of a <see cref="CopyKernels.CopyRows"/> call.</summary>
public struct RowCopy
{
    public int Rows, RowLength, SrcStride, DstStride;
}

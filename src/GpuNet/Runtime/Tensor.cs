namespace GpuNet.Runtime;

/// <summary>
/// A float32 tensor in NCHW order (or any row-major shape) living in one accelerator's memory.
/// A tensor either owns its buffer (and frees it on <see cref="Dispose"/>) or is a view of another
/// tensor's buffer (<see cref="View"/>, <see cref="Slice"/>), which never frees anything.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly bool _ownsBuffer;
    private bool _disposed;

    internal Tensor(Accelerator accelerator, DeviceBuffer buffer, int offset, int[] shape, bool ownsBuffer)
    {
        Accelerator = accelerator;
        Buffer = buffer;
        Offset = offset;
        Shape = shape;
        Length = Shapes.Product(shape);
        _ownsBuffer = ownsBuffer;
    }

    /// <summary>The accelerator whose memory holds this tensor.</summary>
    public Accelerator Accelerator { get; }
    /// <summary>The device buffer (shared by views).</summary>
    public DeviceBuffer Buffer { get; }
    /// <summary>First element of this tensor inside <see cref="Buffer"/>.</summary>
    public int Offset { get; }
    /// <summary>Dimensions, outermost first (N, C, H, W for images).</summary>
    public int[] Shape { get; }
    /// <summary>Number of elements.</summary>
    public int Length { get; }
    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;
    /// <summary>Size of dimension <paramref name="i"/>; negative counts from the end.</summary>
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    /// <summary>The same elements under another shape with the same element count (no copy).</summary>
    public Tensor View(params int[] shape)
    {
        ThrowIfDisposed();
        if (Shapes.Product(shape) != Length)
            throw new ArgumentException(
                $"cannot view a tensor of shape {Shapes.Format(Shape)} as {Shapes.Format(shape)}: element counts " +
                "differ");
        return new Tensor(Accelerator, Buffer, Offset, (int[])shape.Clone(), ownsBuffer: false);
    }

    /// <summary>A contiguous range of elements [start, start + product(shape)) as a tensor (no copy).</summary>
    public Tensor Slice(int start, params int[] shape)
    {
        ThrowIfDisposed();
        int n = Shapes.Product(shape);
        if (start < 0 || start + n > Length)
            throw new ArgumentOutOfRangeException(nameof(start),
                $"slice [{start}, {start + n}) is outside a tensor of {Length} elements");
        return new Tensor(Accelerator, Buffer, Offset + start, (int[])shape.Clone(), ownsBuffer: false);
    }

    /// <summary>Copies the tensor to a new host array.</summary>
    public float[] ToArray()
    {
        var host = new float[Length];
        Accelerator.CopyToHost(this, host);
        return host;
    }

    /// <summary>Copies host data into the tensor; the span must have exactly <see cref="Length"/> elements.</summary>
    public void CopyFrom(ReadOnlySpan<float> host) => Accelerator.CopyFromHost(host, this);

    internal void ThrowIfDisposed()
    {
        if (_disposed) throw new ObjectDisposedException(nameof(Tensor), $"tensor {Shapes.Format(Shape)} was disposed");
    }

    public override string ToString() => $"Tensor{Shapes.Format(Shape)} on {Accelerator.Name}";

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_ownsBuffer) Buffer.Dispose();
    }
}

/// <summary>Shape helpers.</summary>
public static class Shapes
{
    public static int Product(ReadOnlySpan<int> shape)
    {
        long p = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension {d} in shape {Format(shape)}");
            p *= d;
        }
        if (p > int.MaxValue)
            throw new ArgumentException($"shape {Format(shape)} has more than {int.MaxValue} elements");
        return (int)p;
    }

    public static string Format(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    public static bool Equal(ReadOnlySpan<int> a, ReadOnlySpan<int> b) => a.SequenceEqual(b);
}

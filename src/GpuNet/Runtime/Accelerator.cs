namespace GpuNet.Runtime;

/// <summary>Kinds of accelerator GpuNet knows.</summary>
public enum AcceleratorKind { Cpu, OpenCL, Cuda, IlgpuCpu }

/// <summary>
/// One device and the op set that runs on it (ILGPU's shape: one accelerator per device; several devices =
/// several accelerators). Public members validate their arguments once, here, then call the backend's
/// <c>…Internal</c> member; layers only ever talk to this class, so they never branch on the backend.
/// </summary>
public abstract partial class Accelerator : IDisposable
{
    private long _allocatedBytes;
    private long _peakBytes;

    /// <summary>Device name as the user selects it, e.g. <c>cpu</c>, <c>opencl:1</c>, <c>cuda:0</c>.</summary>
    public abstract string Name { get; }
    /// <summary>Human-readable description (device model, cores, memory).</summary>
    public abstract string Description { get; }
    public abstract AcceleratorKind Kind { get; }

    /// <summary>Bytes of device memory currently held through this accelerator.</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);
    /// <summary>Most bytes ever held at once since creation or <see cref="ResetPeak"/>.</summary>
    public long PeakBytes => Interlocked.Read(ref _peakBytes);
    public void ResetPeak() => Interlocked.Exchange(ref _peakBytes, AllocatedBytes);

    /// <summary>Allocates an uninitialised tensor of the given shape.</summary>
    public Tensor Allocate(params int[] shape)
    {
        int length = Shapes.Product(shape);
        var buffer = AllocateInternal(Math.Max(length, 1));
        long now = Interlocked.Add(ref _allocatedBytes, buffer.Bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peakBytes))
            && Interlocked.CompareExchange(ref _peakBytes, now, peak) != peak) { }
        return new Tensor(this, buffer, 0, (int[])shape.Clone(), ownsBuffer: true);
    }

    /// <summary>Allocates a tensor filled with zeros.</summary>
    public Tensor Zeros(params int[] shape)
    {
        var t = Allocate(shape);
        Fill(t, 0f);
        return t;
    }

    /// <summary>Allocates a tensor and copies host data into it.</summary>
    public Tensor FromHost(ReadOnlySpan<float> data, params int[] shape)
    {
        var t = Allocate(shape);
        CopyFromHost(data, t);
        return t;
    }

    internal void OnFreed(long bytes) => Interlocked.Add(ref _allocatedBytes, -bytes);

    /// <summary>Host-to-device copies made through this accelerator (uploads of inputs, labels, parameters).</summary>
    public long Uploads => Interlocked.Read(ref _uploads);
    /// <summary>Device-to-host copies made through this accelerator (results read back).</summary>
    public long Downloads => Interlocked.Read(ref _downloads);
    private long _uploads, _downloads;

    public void CopyFromHost(ReadOnlySpan<float> source, Tensor destination)
    {
        Check(destination, nameof(destination));
        Interlocked.Increment(ref _uploads);
        if (source.Length != destination.Length)
            throw new ArgumentException(
                $"host data has {source.Length} elements, tensor {Shapes.Format(destination.Shape)} holds " +
                $"{destination.Length}");
        CopyFromHostInternal(source, destination);
    }

    public void CopyToHost(Tensor source, Span<float> destination)
    {
        Check(source, nameof(source));
        Interlocked.Increment(ref _downloads);
        if (destination.Length < source.Length)
            throw new ArgumentException(
                $"host span has {destination.Length} elements, tensor {Shapes.Format(source.Shape)} holds " +
                $"{source.Length}");
        CopyToHostInternal(source, destination[..source.Length]);
    }

    /// <summary>Whether <see cref="CopyFromPeer"/> can read tensors of <paramref name="peer"/> directly.</summary>
    public virtual bool CanCopyFromPeer(Accelerator peer) => false;

    /// <summary>
    /// dst (on this accelerator) = src (on a peer accelerator), device to device, without host staging; the
    /// copy is complete when this returns. Only for peers <see cref="CanCopyFromPeer"/> accepts.
    /// </summary>
    public void CopyFromPeer(Tensor src, Tensor dst)
    {
        Check(dst, nameof(dst));
        ArgumentNullException.ThrowIfNull(src);
        src.ThrowIfDisposed();
        if (!CanCopyFromPeer(src.Accelerator))
            throw new ArgumentException(
                $"{Name} cannot copy directly from {src.Accelerator.Name}; stage through the host");
        CheckSameLength(src, nameof(src), dst, nameof(dst));
        CopyFromPeerInternal(src, dst);
    }

    protected virtual void CopyFromPeerInternal(Tensor src, Tensor dst) =>
        throw new NotSupportedException($"{Name} has no device-to-device copy");

    /// <summary>Waits until all queued work on this device is done.</summary>
    public virtual void Synchronize() { }

    protected abstract DeviceBuffer AllocateInternal(int length);
    protected abstract void CopyFromHostInternal(ReadOnlySpan<float> source, Tensor destination);
    protected abstract void CopyToHostInternal(Tensor source, Span<float> destination);

    /// <summary>
    /// Throws unless <paramref name="t"/> is live, belongs to this accelerator and (if given) has the expected shape.
    /// </summary>
    protected internal void Check(Tensor t, string name, params int[]? shape)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        t.ThrowIfDisposed();
        if (!ReferenceEquals(t.Accelerator, this))
            throw new ArgumentException(
                $"{name} lives on {t.Accelerator.Name}, but the op runs on {Name}; copy it across first");
        if (shape is { Length: > 0 } && !Shapes.Equal(t.Shape, shape))
            throw new ArgumentException($"{name} has shape {Shapes.Format(t.Shape)}, expected {Shapes.Format(shape)}");
    }

    /// <summary>Throws unless both tensors hold the same number of elements.</summary>
    protected static void CheckSameLength(Tensor a, string aName, Tensor b, string bName)
    {
        if (a.Length != b.Length)
            throw new ArgumentException(
                $"{aName} {Shapes.Format(a.Shape)} and {bName} {Shapes.Format(b.Shape)} must have the same number of " +
                "elements");
    }

    /// <summary>Splits an (N, C, …) tensor into N, C and the product of the rest.</summary>
    protected static (int N, int C, int Inner) Nci(Tensor t, string name)
    {
        if (t.Rank < 2) throw new ArgumentException(
            $"{name} must have at least 2 dimensions (N, C, ...), has shape {Shapes.Format(t.Shape)}");
        return (t.Shape[0], t.Shape[1], t.Length / Math.Max(1, t.Shape[0] * t.Shape[1]));
    }

    public override string ToString() => Name;

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>
/// A device or driver call failed (CUDA, OpenCL, memory); the message says what failed and what to do.
/// </summary>
public class AcceleratorException : Exception
{
    public AcceleratorException(string message) : base(message) { }
    protected AcceleratorException(string message, string call, int status) : base(message)
    {
        Call = call;
        Status = status;
    }

    /// <summary>
    /// The driver call that failed (clBuildProgram, cuMemAlloc, …); empty when the error is not one call's.
    /// </summary>
    public string Call { get; } = "";
    /// <summary>The backend's status code (CL_…, CUDA_ERROR_…) of <see cref="Call"/>.</summary>
    public int Status { get; }
}

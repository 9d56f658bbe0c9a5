namespace GpuNet.Runtime;

/// <summary>
/// Device memory of one accelerator. Backends derive from it (CpuBuffer, IlgpuBuffer);
/// the base keeps the accelerator's memory accounting right whatever the backend.
/// </summary>
public abstract class DeviceBuffer : IDisposable
{
    private int _disposed;

    protected DeviceBuffer(Accelerator accelerator, int length)
    {
        Accelerator = accelerator;
        Length = length;
    }

    public Accelerator Accelerator { get; }
    /// <summary>Capacity in float32 elements.</summary>
    public int Length { get; }
    public long Bytes => (long)Length * sizeof(float);

    /// <summary>Releases the backend's memory.</summary>
    protected abstract void FreeInternal();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        FreeInternal();
        Accelerator.OnFreed(Bytes);
        GC.SuppressFinalize(this);
    }
}

using System.Runtime.CompilerServices;

namespace GpuNet.Runtime;

/// <summary>
/// An accelerator that runs the <c>kernels/</c> sources (the CLBlast approach): every op's launch — which kernel,
/// which arguments, how many work items — is written once here, and a backend (OpenCL, CUDA) supplies only programs,
/// memory, copies and the launch itself. Tensors pass to kernels as (buffer, element offset). One thread drives an
/// accelerator at a time.
/// </summary>
public abstract unsafe partial class KernelAccelerator : Accelerator
{
    private readonly Dictionary<string, KernelProgram> _programs = [];
    private Tensor? _workspace;

    /// <summary>GEMM tuning parameters for this device (CPU: register tiling; GPU: local-memory tiling).</summary>
    public GemmParameters GemmTuning { get; set; } = GemmParameters.Gpu;

    /// <summary>How convolutions run; <see cref="ConvAlgorithm.Auto"/> times both once per shape and keeps the faster.</summary>
    public ConvAlgorithm ConvAlgorithm { get; set; } = ConvAlgorithm.Auto;

    /// <summary>When set, the name of every kernel launched is added to it (<c>gpunet doctor</c> checks its coverage so).</summary>
    public ISet<string>? LaunchLog { get; set; }

    /// <summary>
    /// Compiles (or loads from the backend's cache) one kernel file with the given defines; <paramref name="kernel"/>
    /// is the kernel that asked for it, for the error message when the build fails.
    /// </summary>
    protected abstract KernelProgram BuildProgram(string file, IReadOnlyList<KeyValuePair<string, string>> defines, string kernel);

    /// <summary>The backend's handle of a buffer as a kernel argument (a cl_mem, a CUdeviceptr).</summary>
    protected abstract ulong ArgumentOf(DeviceBuffer buffer);

    /// <summary>Launches <paramref name="kernel"/> on groups0 × groups1 work-groups of local0 × local1 items.</summary>
    protected internal abstract void Launch(CompiledKernel kernel, in KernelArguments args, int groups0, int groups1, int local0, int local1);

    /// <summary>A kernel of a kernels/ file, built with the given defines (programs are built once per file and defines).</summary>
    internal KernelCall Kernel(string file, string name, IReadOnlyList<KeyValuePair<string, string>>? defines = null)
    {
        string key = file + "|" + string.Join(";", (defines ?? []).Select(d => d.Key + "=" + d.Value));
        if (!_programs.TryGetValue(key, out var program)) _programs[key] = program = BuildProgram(file, defines ?? [], name);
        return new KernelCall(this, program.Kernel(name));
    }

    /// <summary>
    /// At least <paramref name="length"/> elements of the accelerator's workspace, grown as needed (counted in its memory).
    /// Ops on this accelerator's in-order queue share it one after another; kernels may read it as ints.
    /// </summary>
    private protected Tensor Scratch(int length)
    {
        if (_workspace is null || _workspace.Length < length)
        {
            _workspace?.Dispose();
            _workspace = Allocate(length);
        }
        return _workspace.Slice(0, length);
    }

    /// <summary>Frees the workspace and every program; each backend's Dispose calls it before releasing its context.</summary>
    protected void ReleaseKernels()
    {
        _workspace?.Dispose();
        _workspace = null;
        foreach (var p in _programs.Values) p.Dispose();
        _programs.Clear();
    }

    /// <summary>Sets a kernel's arguments in order, then launches it.</summary>
    internal struct KernelCall(KernelAccelerator acc, CompiledKernel kernel)
    {
        private KernelArguments _args;

        /// <summary>A tensor: its buffer, then its element offset (plus <paramref name="extraOffset"/>) as an int.</summary>
        public KernelCall Buf(Tensor t, int extraOffset = 0)
        {
            _args.Add(acc.ArgumentOf(t.Buffer), 8, kernel);
            return Int(t.Offset + extraOffset);
        }

        public KernelCall Int(int v) { _args.Add((uint)v, 4, kernel); return this; }
        public KernelCall UInt(uint v) { _args.Add(v, 4, kernel); return this; }
        public KernelCall Float(float v) { _args.Add(BitConverter.SingleToUInt32Bits(v), 4, kernel); return this; }

        /// <summary>1-D launch over <paramref name="items"/> work items, padded to the local size (kernels bound-check).</summary>
        public readonly void Launch(int items, int local = 0)
        {
            if (items <= 0) return;
            if (local <= 0) local = Math.Min(64, kernel.MaxLocal);
            acc.LaunchLog?.Add(kernel.Name);
            acc.Launch(kernel, _args, (items + local - 1) / local, 1, local, 1);
        }

        /// <summary>2-D launch of groups0 × groups1 work-groups of local0 × local1 items.</summary>
        public readonly void Launch2D(int groups0, int groups1, int local0, int local1)
        {
            if (local0 * local1 > kernel.MaxLocal)
                throw new ArgumentException($"kernel {kernel.Name} on {acc.Name}: work-group {local0}x{local1} exceeds the {kernel.MaxLocal} items this device allows for it; pick smaller tuning parameters");
            if (groups0 <= 0 || groups1 <= 0) return;
            acc.LaunchLog?.Add(kernel.Name);
            acc.Launch(kernel, _args, groups0, groups1, local0, local1);
        }
    }

}

/// <summary>A compiled kernel file: its kernels by name.</summary>
public abstract class KernelProgram : IDisposable
{
    public abstract CompiledKernel Kernel(string name);
    public abstract void Dispose();
}

/// <summary>One kernel as the backend knows it, and the most work items per group it allows on this device.</summary>
public sealed class CompiledKernel(nint handle, string name, int maxLocal)
{
    public nint Handle { get; } = handle;
    public string Name { get; } = name;
    public int MaxLocal { get; } = maxLocal;
}

/// <summary>
/// A kernel's arguments in order, each 4 or 8 bytes (int, uint, float; buffer handle), held inline without allocation.
/// OpenCL sets them one by one (<see cref="Size"/>, <see cref="Value"/>); CUDA passes an array of their addresses.
/// </summary>
public struct KernelArguments
{
    public const int Max = 32;
    private Values _values;
    private uint _wide;

    public int Count { get; private set; }

    internal void Add(ulong value, int size, CompiledKernel kernel)
    {
        if (Count == Max) throw new InvalidOperationException($"kernel {kernel.Name}: more than {Max} arguments");
        _values[Count] = value;
        if (size == 8) _wide |= 1u << Count;
        Count++;
    }

    /// <summary>Size in bytes of argument <paramref name="i"/>.</summary>
    public readonly int Size(int i) => (_wide >> i & 1) != 0 ? 8 : 4;

    /// <summary>Its value as raw bits (4-byte values in the low half).</summary>
    public readonly ulong Value(int i) => _values[i];

    [InlineArray(Max)]
    private struct Values { private ulong _first; }
}

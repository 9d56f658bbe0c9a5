using ILGPU;

namespace GpuNet.Kernels;

/// <summary>
/// Where a thread starts and how far it strides in the grid-stride loops every element-wise kernel uses. Read these
/// once
/// into locals before the loop: on ILGPU's CPU accelerator each read is a thread-static lookup (hoisting them made a
/// 1M-element kernel 100× faster there), and on GPUs a loop lets a launch use fewer, fuller groups.
/// </summary>
internal static class Threads
{
    /// <summary>This thread's index in the whole 1-D grid.</summary>
    public static int Start => Grid.GlobalIndex.X;
    /// <summary>Threads in the whole 1-D grid.</summary>
    public static int Step => Grid.DimX * Group.DimX;
}

/// <summary>
/// The scalar rules that more than one kernel (and the managed CPU accelerator) apply, described once.
/// </summary>
public static class Rules
{
    /// <summary>The constants of <see cref="DropoutUniform"/>'s hash, for the CPU's vector form of it.</summary>
    public const uint DropoutGolden = 0x9E3779B9u, DropoutMix1 = 0x85EBCA6Bu, DropoutMix2 = 0xC2B2AE35u;

    /// <summary>
    /// Uniform in [0, 1) from (seed, index): a murmur3 finaliser, so dropout masks agree bit for bit across backends.
    /// </summary>
    public static float DropoutUniform(uint seed, uint index)
    {
        uint h = seed ^ (index * DropoutGolden);
        h ^= h >> 16; h *= DropoutMix1; h ^= h >> 13; h *= DropoutMix2; h ^= h >> 16;
        return (h >> 8) * (1f / 16777216f);
    }

    /// <summary>The gradient an optimizer applies: g + weightDecay · w + l1 · sign(w).</summary>
    public static float EffectiveGradient(float g, float w, float weightDecay, float l1)
    {
        float sign = w > 0f ? 1f : (w < 0f ? -1f : 0f);
        return g + weightDecay * w + l1 * sign;
    }
}

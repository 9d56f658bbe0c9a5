namespace GpuNet.Distributed;

/// <summary>
/// Rank <see cref="Rank"/> of <see cref="Size"/>: which part of a list this process takes in data-parallel training.
/// Every rank cuts the same list the same way, so the parts are disjoint and together are the whole list.
/// </summary>
public readonly record struct Shard(int Rank, int Size)
{
    /// <summary>The whole list: a single process.</summary>
    public static readonly Shard Whole = new(0, 1);

    /// <summary>This rank's contiguous part of <paramref name="count"/> items: [Start, Start + Count).</summary>
    public (int Start, int Count) Of(int count)
    {
        int start = (int)((long)count * Rank / Size), end = (int)((long)count * (Rank + 1) / Size);
        return (start, end - start);
    }

    /// <summary>This rank's part of <paramref name="items"/>.</summary>
    public int[] Of(IReadOnlyList<int> items)
    {
        var (start, count) = Of(items.Count);
        var part = new int[count];
        for (int i = 0; i < count; i++) part[i] = items[start + i];
        return part;
    }
}

using System.Collections.Concurrent;

namespace GpuNet.Data;

/// <summary>
/// Unreadable images met so far, by file: each is reported once, counted, and listed (skipped.txt in a run folder).
/// When strict, the first report is an error naming the file instead.
/// </summary>
public sealed class BadFiles(bool strict)
{
    private readonly ConcurrentDictionary<string, string> _files = new();
    public bool Strict { get; } = strict;
    public int Count => _files.Count;
    public bool Contains(string path) => _files.ContainsKey(path);

    /// <summary>The messages, sorted by file.</summary>
    public IReadOnlyList<string> Messages =>
        _files.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToArray();

    /// <summary>
    /// Records a bad file; true the first time it is seen. Strict: throws the message as a <see cref="DataException"/>.
    /// </summary>
    public bool Report(string path, string message) => Strict ? throw new DataException(message)
        : _files.TryAdd(path, message);
}

/// <summary>
/// Decoded images of a <see cref="LabeledFiles"/> list: read and decoded on demand (any size of data set), or decoded
/// once up front and kept (<see cref="Preload"/>) when they fit in memory. A file that cannot be read or decoded is
/// reported to <see cref="BadFiles"/> and comes back as null, never as an exception (unless strict).
/// </summary>
public sealed class ImageStore(LabeledFiles files, BadFiles bad, long maxPixels = ImageDecoder.DefaultMaxPixels)
{
    private Image?[]? _cache;

    public LabeledFiles Files { get; } = files;
    public BadFiles Bad { get; } = bad;
    public long MaxPixels { get; } = maxPixels;
    public bool IsCached => _cache is not null;
    /// <summary>
    /// JPEGs may decode at a reduced scale keeping the shorter side at least this long (0: full size): the first resize
    /// of the transforms that read this store, so a cache of large photos holds only what they use.
    /// </summary>
    public int DecodeShorterSide { get; init; }
    public int Count => Files.Count;

    /// <summary>The image, or null when the file is unreadable (reported once).</summary>
    public Image? Get(int i)
    {
        var image = TryGet(i, out string? error);
        if (error is not null) Bad.Report(Files.Paths[i], error);
        return image;
    }

    /// <summary>
    /// The image, or null with the reason in <paramref name="error"/> (null for a file already known bad), without
    /// reporting: callers decoding in parallel report in file order, so --strict names the same first file every time.
    /// With a <paramref name="scratch"/>, an image decoded now (not cached) lives in the scratch's buffers until its
    /// next use, and may be decoded at a reduced scale that keeps its shorter side at least <paramref
    /// name="minShorterSide"/>.
    /// </summary>
    public Image? TryGet(int i, out string? error, DecodeScratch? scratch = null, int minShorterSide = 0)
    {
        error = null;
        if (_cache is not null) return _cache[i];
        string path = Files.Paths[i];
        if (Bad.Contains(path)) return null;
        // a streamed image serves only the caller's transform; one that may be kept, every transform of the store
        try
        {
            return scratch is null ? ImageDecoder.Read(path, MaxPixels, DecodeShorterSide)
            : ImageDecoder.Read(path, MaxPixels, scratch, minShorterSide);
        }
        catch (DataException e) { error = e.Message; return null; }
    }

    /// <summary>
    /// Decodes every image on <paramref name="workers"/> threads and keeps them. A cancelled <paramref name="ct"/>
    /// stops it once the images being decoded are done (OperationCanceledException), keeping nothing.
    /// </summary>
    public void Preload(int workers, Action<int, int>? progress = null, CancellationToken ct = default)
    {
        var cache = new Image?[Count];
        var errors = new string?[Count];
        int done = 0;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, workers), CancellationToken = ct };
        Parallel.For(0, Count, options, i =>
        {
            cache[i] = TryGet(i, out errors[i]);
            int d = Interlocked.Increment(ref done);
            if (progress is not null && (d % 1024 == 0 || d == Count)) progress(d, Count);
        });
        for (int i = 0; i < Count; i++) if (errors[i] is { } e) Bad.Report(Files.Paths[i], e);
        _cache = cache;
    }

    /// <summary>Indices of the images known to be readable (all not yet found bad when not preloaded).</summary>
    public int[] Readable() => Enumerable.Range(0, Count)
        .Where(i => _cache is not null ? _cache[i] is not null : !Bad.Contains(Files.Paths[i])).ToArray();

    /// <summary>
    /// Decoded bytes of the whole list, estimated from the headers of up to <paramref name="sample"/> evenly spaced
    /// files (image headers name the size, so nothing is decoded).
    /// </summary>
    public long EstimateDecodedBytes(int sample = 32, CancellationToken ct = default)
    {
        if (Count == 0) return 0;
        long total = 0; int seen = 0;
        for (int k = 0; k < Math.Min(sample, Count); k++)
        {
            ct.ThrowIfCancellationRequested();
            string path = Files.Paths[(int)((long)k * Count / Math.Min(sample, Count))];
            if (ImageDecoder.TryReadSize(path, DecodeShorterSide) is { } s) { total += s; seen++; }
        }
        return seen == 0 ? 0 : total / seen * Count;
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;

namespace GpuNet.Data;

/// <summary>
/// One batch of model input, (Views × Count, C, H, W) floats, with labels. Buffers are pinned and reused: a batch is
/// valid until the next one is asked for. In ten-crop evaluation view v of image i sits at slot v·Count + i.
/// </summary>
public sealed class Batch
{
    internal Batch(int capacity, int views, int sampleSize)
    {
        Capacity = capacity; Views = views; SampleSize = sampleSize;
        Input = GC.AllocateUninitializedArray<float>(capacity * views * sampleSize, pinned: true);
        Labels = new int[capacity];
        Items = new int[capacity];
        Ok = new bool[capacity];
        Errors = new string?[capacity];
    }

    public int Capacity { get; }
    public int Views { get; }
    public int SampleSize { get; }
    /// <summary>Images in this batch (fewer than asked for when unreadable files were dropped).</summary>
    public int Count { get; internal set; }
    public float[] Input { get; }
    public int[] Labels { get; }
    /// <summary>Which store entries the images are.</summary>
    public int[] Items { get; }

    internal bool[] Ok { get; }
    internal string?[] Errors { get; }

    /// <summary>The Count images of one view, contiguous.</summary>
    public Span<float> View(int v) => Input.AsSpan(v * Count * SampleSize, Count * SampleSize);
}

/// <summary>
/// Decodes and transforms batches on worker threads ahead of the training loop. The images of an epoch form one stream:
/// each worker takes the next image, renders it into its slot of one of <c>prefetch</c> + 1 pinned, reused batch
/// buffers, and moves on, so no worker waits at batch boundaries; a worker only waits when all buffers are full
/// (the bounded prefetch) and the consumer only when the next batch is not finished.
/// Each image's random draws come from a generator seeded by (seed, epoch, image), so the batches are the same for
/// any number of workers. Unreadable images are dropped from their batch and counted in the store's
/// <see cref="BadFiles"/> in batch order; under --strict the first one ends the epoch with an error naming the file.
/// </summary>
public sealed class BatchLoader(ImageStore store, Transform transform, int batch, int workers = 0, int prefetch = 2,
    ulong seed = 1)
{
    public ImageStore Store { get; } = store;
    public Transform Transform { get; } = transform;
    public int BatchSize { get; } = batch;
    public int Workers { get; } = workers > 0 ? workers : Environment.ProcessorCount;
    public int Prefetch { get; } = Math.Max(1, prefetch);
    /// <summary>Time the consumer spent waiting for batches in the last <see cref="Run"/>.</summary>
    public TimeSpan Waited { get; private set; }

    /// <summary>
    /// The generator of image <paramref name="item"/> in <paramref name="epoch"/>: independent of order and threads.
    /// </summary>
    public static Rng SampleRng(ulong seed, int epoch, int item) =>
        new(seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)epoch << 32 | (uint)item) * 0xD1B54A32D192ED03UL);

    // streaming decodes land in per-thread buffers, so an epoch allocates no pixel memory
    [ThreadStatic] private static DecodeScratch? _scratch;

    /// <summary>
    /// Batches of the store's images in <paramref name="order"/>; <paramref name="views"/> = 10 renders the ten crops
    /// of
    /// a <see cref="TenCrop"/> step per image. With a <paramref name="shard"/> (data-parallel training) every batch of
    /// <see cref="BatchSize"/> images of the order is cut into the ranks' parts and only this rank's part is loaded:
    /// one batch per global batch, empty ones included, so every rank takes the same number of steps.
    /// </summary>
    public IEnumerable<Batch> Run(IReadOnlyList<int> order, int epoch, int views = 1, CancellationToken ct = default,
        Distributed.Shard? shard = null)
    {
        if (views is not (1 or TenCrop.Views))
            throw new ArgumentException($"views must be 1 or {TenCrop.Views}, got {views}");
        int batches = (order.Count + BatchSize - 1) / BatchSize, slots = Prefetch + 1;
        // batch b is order[starts[b] .. starts[b + 1]) of the (for a shard: this rank's) order
        var starts = new int[batches + 1];
        if (shard is { } part)
        {
            var mine = new List<int>(order.Count / part.Size + batches);
            for (int b = 0; b < batches; b++)
            {
                int first = b * BatchSize;
                var (start, count) = part.Of(Math.Min(BatchSize, order.Count - first));
                for (int i = 0; i < count; i++) mine.Add(order[first + start + i]);
                starts[b + 1] = mine.Count;
            }
            order = mine;
        }
        else
            for (int b = 0; b < batches; b++) starts[b + 1] = Math.Min(order.Count, (b + 1) * BatchSize);
        int Size(int b) => starts[b + 1] - starts[b];
        // the batch holding entry k: the last b with starts[b] <= k (empty batches share their start)
        int BatchOf(int k)
        {
            int lo = 0, hi = batches;
            while (lo < hi) { int mid = (lo + hi) >> 1; if (starts[mid + 1] <= k) lo = mid + 1; else hi = mid; }
            return lo;
        }
        var bufs = Enumerable.Range(0, Math.Min(slots, Math.Max(batches, 1)))
            .Select(_ => new Batch(BatchSize, views, Transform.SampleSize)).ToArray();
        // buffer j holds batch owner[j]; remaining[j] of its images are still being rendered
        var owner = new int[bufs.Length];
        var remaining = new int[bufs.Length];
        for (int j = 0; j < bufs.Length; j++) { owner[j] = j; remaining[j] = j < batches ? Size(j) : 0; }
        var gate = new object();
        int next = -1;
        bool stop = false;
        Exception? failure = null;

        void Work()
        {
            try
            {
                for (int k = Interlocked.Increment(ref next); k < order.Count; k = Interlocked.Increment(ref next))
                {
                    int b = BatchOf(k), j = b % bufs.Length;
                    lock (gate) while (owner[j] != b && !stop) Monitor.Wait(gate);
                    if (Volatile.Read(ref stop)) return;
                    Render(bufs[j], k - starts[b], Size(b), order[k], epoch);
                    if (Interlocked.Decrement(ref remaining[j]) == 0) lock (gate) Monitor.PulseAll(gate);
                }
            }
            catch (Exception e)
            {
                lock (gate) { failure ??= e; stop = true; Monitor.PulseAll(gate); }
            }
        }

        var threads = Enumerable.Range(0, Workers)
            .Select(i => new Thread(Work) { IsBackground = true, Name = $"gpunet loader {i}" }).ToArray();
        foreach (var t in threads) t.Start();
        using var cancel = ct.Register(() => { lock (gate) { stop = true; Monitor.PulseAll(gate); } });
        Waited = TimeSpan.Zero;
        try
        {
            for (int b = 0; b < batches; b++)
            {
                int j = b % bufs.Length;
                long t0 = Stopwatch.GetTimestamp();
                lock (gate) while (Volatile.Read(ref remaining[j]) > 0 && !stop) Monitor.Wait(gate);
                Waited += Stopwatch.GetElapsedTime(t0);
                if (failure is not null)
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
                ct.ThrowIfCancellationRequested();
                var buf = bufs[j];
                Finish(buf, order, starts[b], Size(b));
                if (buf.Count > 0 || shard is not null) yield return buf;
                // the consumer is done with batch b: its buffer takes batch b + slots
                lock (gate)
                {
                    owner[j] = b + bufs.Length;
                    remaining[j] = b + bufs.Length < batches ? Size(b + bufs.Length) : 0;
                    Monitor.PulseAll(gate);
                }
            }
        }
        finally
        {
            lock (gate) { stop = true; Monitor.PulseAll(gate); }
            foreach (var t in threads) t.Join();
        }
    }

    // Decodes image `item` and renders its views into slot i of a batch of n.
    private void Render(Batch buf, int i, int n, int item, int epoch)
    {
        int size = Transform.SampleSize;
        var image =
            Store.TryGet(item, out buf.Errors[i], _scratch ??= new DecodeScratch(), Transform.DecodeShorterSide);
        buf.Ok[i] = image is not null;
        if (image is null) return;
        for (int v = 0; v < buf.Views; v++)
        {
            // every view of an image starts from the same draws
            var rng = SampleRng(seed, epoch, item);
            Transform.Apply(image, buf.Input.AsSpan((v * n + i) * size, size), rng, buf.Views == 1 ? -1 : v);
        }
    }

    // Reports the batch's unreadable images in order and drops them: the good ones move down, view by view.
    private void Finish(Batch buf, IReadOnlyList<int> order, int start, int n)
    {
        int size = Transform.SampleSize, views = buf.Views;
        for (int i = 0; i < n; i++) if (buf.Errors[i] is { } e)
            Store.Bad.Report(Store.Files.Paths[order[start + i]], e);
        int count = 0;
        for (int i = 0; i < n; i++)
        {
            if (!buf.Ok[i]) continue;
            if (count != i)
                for (int v = 0; v < views; v++)
                    buf.Input.AsSpan((v * n + i) * size, size).CopyTo(buf.Input.AsSpan((v * n + count) * size, size));
            buf.Items[count] = order[start + i];
            buf.Labels[count] = Store.Files.Labels[buf.Items[count]];
            count++;
        }
        // views laid out for n images close up to count images each
        if (count < n)
            for (int v = 1; v < views; v++)
                buf.Input.AsSpan(v * n * size, count * size).CopyTo(buf.Input.AsSpan(v * count * size, count * size));
        buf.Count = count;
    }
}

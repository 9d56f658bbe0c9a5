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

    /// <summary>The Count images of one view, contiguous.</summary>
    public Span<float> View(int v) => Input.AsSpan(v * Count * SampleSize, Count * SampleSize);
}

/// <summary>
/// Decodes and transforms batches on worker threads ahead of the training loop: a producer fills pinned, reused
/// buffers through a bounded queue of <c>prefetch</c> batches, each batch spread over <c>workers</c> threads.
/// Each image's random draws come from a generator seeded by (seed, epoch, image), so the batches are the same for
/// any number of workers. Unreadable images are dropped from their batch and counted in the store's
/// <see cref="BadFiles"/>; under --strict the first one ends the epoch with an error naming the file.
/// </summary>
public sealed class BatchLoader(ImageStore store, Transform transform, int batch, int workers = 0, int prefetch = 2, ulong seed = 1)
{
    public ImageStore Store { get; } = store;
    public Transform Transform { get; } = transform;
    public int BatchSize { get; } = batch;
    public int Workers { get; } = workers > 0 ? workers : Environment.ProcessorCount;
    public int Prefetch { get; } = Math.Max(1, prefetch);
    /// <summary>Time the consumer spent waiting for batches in the last <see cref="Run"/>.</summary>
    public TimeSpan Waited { get; private set; }

    /// <summary>The generator of image <paramref name="item"/> in <paramref name="epoch"/>: independent of order and threads.</summary>
    public static Rng SampleRng(ulong seed, int epoch, int item) =>
        new(seed * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)epoch << 32 | (uint)item) * 0xD1B54A32D192ED03UL);

    /// <summary>
    /// Batches of the store's images in <paramref name="order"/>; <paramref name="views"/> = 10 renders the ten crops of
    /// a <see cref="TenCrop"/> step per image.
    /// </summary>
    public IEnumerable<Batch> Run(IReadOnlyList<int> order, int epoch, int views = 1, CancellationToken ct = default)
    {
        if (views is not (1 or TenCrop.Views)) throw new ArgumentException($"views must be 1 or {TenCrop.Views}, got {views}");
        int batches = (order.Count + BatchSize - 1) / BatchSize;
        var free = new BlockingCollection<Batch>();
        for (int k = 0; k < Prefetch + 1; k++) free.Add(new Batch(BatchSize, views, Transform.SampleSize));
        var ready = new BlockingCollection<Batch>(Prefetch);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? failure = null;
        var producer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int b = 0; b < batches; b++)
                {
                    var buf = free.Take(stop.Token);
                    Fill(buf, order, b * BatchSize, Math.Min(BatchSize, order.Count - b * BatchSize), epoch);
                    ready.Add(buf, stop.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { failure = e is AggregateException { InnerExceptions.Count: > 0 } a ? a.InnerExceptions[0] : e; }
            finally { ready.CompleteAdding(); }
        }, TaskCreationOptions.LongRunning);

        Waited = TimeSpan.Zero;
        try
        {
            while (true)
            {
                long t0 = Stopwatch.GetTimestamp();
                bool got = ready.TryTake(out var buf, Timeout.Infinite, ct);
                Waited += Stopwatch.GetElapsedTime(t0);
                if (!got) break;
                if (buf!.Count > 0) yield return buf;
                free.Add(buf);
            }
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            stop.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
        }
    }

    private void Fill(Batch buf, IReadOnlyList<int> order, int start, int n, int epoch)
    {
        int size = Transform.SampleSize, views = buf.Views;
        var ok = new bool[n];
        var errors = new string?[n];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Workers }, i =>
        {
            int item = order[start + i];
            var image = Store.TryGet(item, out errors[i]);
            if (image is null) return;
            for (int v = 0; v < views; v++)
            {
                // every view of an image starts from the same draws
                var rng = SampleRng(seed, epoch, item);
                Transform.Apply(image, buf.Input.AsSpan((v * n + i) * size, size), rng, views == 1 ? -1 : v);
            }
            ok[i] = true;
        });
        for (int i = 0; i < n; i++) if (errors[i] is { } e) Store.Bad.Report(Store.Files.Paths[order[start + i]], e);
        // drop unreadable images: move the good ones down, view by view
        int count = 0;
        for (int i = 0; i < n; i++) if (ok[i]) count++;
        int[] keep = new int[count];
        for (int i = 0, j = 0; i < n; i++) if (ok[i]) keep[j++] = i;
        for (int v = 0; v < views; v++)
            for (int j = 0; j < count; j++)
                if (v * count + j != v * n + keep[j])
                    buf.Input.AsSpan((v * n + keep[j]) * size, size).CopyTo(buf.Input.AsSpan((v * count + j) * size, size));
        for (int j = 0; j < count; j++) { buf.Items[j] = order[start + keep[j]]; buf.Labels[j] = Store.Files.Labels[buf.Items[j]]; }
        buf.Count = count;
    }
}

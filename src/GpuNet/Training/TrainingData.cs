using System.Globalization;
using GpuNet.Data;

namespace GpuNet.Training;

/// <summary>
/// The images of a training run: the folder's splits as <see cref="ImageStore"/>s sharing one <see cref="BadFiles"/>
/// list, decoded into memory up front when they fit (<c>--cache</c>), else decoded every epoch by the loaders.
/// The token it is opened with stops its loading (listing, size estimates, decoding into memory) and its
/// <see cref="Sample"/> within an image or so: a Ctrl+C while a large data set loads ends the run at once.
/// </summary>
public sealed class TrainingData
{
    private readonly CancellationToken _ct;

    private TrainingData(FolderSplits splits, ImageStore train, ImageStore validation, ImageStore? test, BadFiles bad,
        bool cached, CancellationToken ct)
    {
        Splits = splits; Train = train; Validation = validation; Test = test; Bad = bad; Cached = cached; _ct = ct;
    }

    public FolderSplits Splits { get; }
    public ImageStore Train { get; }
    public ImageStore Validation { get; }
    public ImageStore? Test { get; }
    public BadFiles Bad { get; }
    public bool Cached { get; }
    public string[] Classes => Train.Files.Classes;

    public static double[] ParseRatios(string text)
    {
        var parts = text.Split('/', ',', ':');
        var r = parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : double.NaN).ToArray();
        if (r.Length != 3 || r.Any(v => !(v >= 0)) || r[0] <= 0)
            throw new ArgumentException($"--split takes TRAIN/VAL/TEST ratios like 80/10/10, got '{text}'");
        if (Math.Abs(r.Sum() - 100) > 1e-9)
            throw new ArgumentException($"--split ratios must add up to 100, '{text}' adds up to {r.Sum():G6}");
        return r;
    }

    public static TrainingData Open(TrainOptions o, Networks.NetworkDescription network, ITrainingObserver obs,
        CancellationToken ct = default)
    {
        if (o.Cache is not ("auto" or "on" or "off"))
            throw new ArgumentException($"--cache takes auto, on or off, got '{o.Cache}'");
        if (o.MaxPixels < 1) throw new ArgumentException($"--max-pixels must be positive, got {o.MaxPixels}");
        if (!Directory.Exists(o.Data))
            throw new DataException(FileNames.Unopenable(o.Data) ?? $"{o.Data}: data folder does not exist " +
                "(data-scripts/mnist.sh DIR makes the MNIST one, data-scripts/shapes.sh DIR a synthetic RGB one)");
        var splits = ImageFolder.Split(o.Data, o.Seed, o.ValidationFraction, ParseRatios(o.SplitRatios), ct);
        var train = splits.Train;
        var val = splits.Validation;
        if (o.Limit > 0)
        {
            // a seeded sample, in folder order
            var idx = Enumerable.Range(0, train.Count).ToArray();
            new Rng(o.Seed ^ 0x11117UL).Shuffle(idx);
            train = train.Subset(idx.Take(o.Limit).Order());
            var vidx = Enumerable.Range(0, val.Count).ToArray();
            new Rng(o.Seed ^ 0x22227UL).Shuffle(vidx);
            val = val.Subset(vidx.Take(
                Math.Max(1, (int)Math.Ceiling(o.Limit * (double)val.Count / Math.Max(1, splits.Train.Count)))).Order());
        }
        var bad = new BadFiles(o.Strict);
        // large JPEGs decode at a reduced scale that still serves the first resize of the transform reading each store
        var (trainSpec, evalSpec) = o.TransformSpecs(network);
        int Shorter(string spec) => Transform.DecodeShorterSideOf(Transform.ParseSteps(spec));
        int[] shorter = [Shorter(trainSpec), Shorter(evalSpec), Shorter(evalSpec)];
        var stores = new[] { train, val, splits.Test }.Select((f, i) => f is null ? null
            : new ImageStore(f, bad, o.MaxPixels) { DecodeShorterSide = shorter[i] }).ToArray();
        bool cache = o.Cache == "on";
        if (o.Cache == "auto")
        {
            long bytes = stores.Sum(s => s?.EstimateDecodedBytes(ct: ct) ?? 0);
            cache = bytes <= (long)o.CacheMiB << 20;
            obs.Message(
                $"decoded images ≈ {bytes / (1024.0 * 1024.0):F0} MiB: " +
                $"{(cache ? "decoding once into memory" : $"over --cache-mib {o.CacheMiB}, decoding every epoch")}");
        }
        if (cache)
        {
            string[] what = ["train images", "validation images", "test images"];
            int workers = o.Workers > 0 ? o.Workers : Environment.ProcessorCount;
            for (int i = 0; i < 3; i++) stores[i]?.Preload(workers, (d, t) => obs.Loading(what[i], d, t), ct);
            if (stores[0]!.Readable().Length == 0)
                throw new DataException(
                    $"{train.Directory}: none of its {train.Count} files is a readable image (first: " +
                    $"{bad.Messages.FirstOrDefault()})");
        }
        return new TrainingData(splits, stores[0]!, stores[1]!, stores[2], bad, cache, ct);
    }

    /// <summary>
    /// Up to <paramref name="count"/> readable training images, evenly spaced, decoded (for statistics).
    /// </summary>
    public IEnumerable<Image> Sample(int count)
    {
        var readable = Train.Readable();
        int n = Math.Min(count, readable.Length);
        for (int k = 0; k < n; k++)
        {
            _ct.ThrowIfCancellationRequested();
            if (Train.Get(readable[(int)((long)k * readable.Length / n)]) is { } im) yield return im;
        }
    }

    /// <summary>Writes skipped.txt (atomically) when bad files were met; returns how many.</summary>
    public int WriteSkipped(string runDir)
    {
        if (Bad.Count == 0) return 0;
        AtomicFile.WriteAllText(Path.Combine(runDir, Trainer.SkippedFile), string.Join("\n", Bad.Messages) + "\n");
        return Bad.Count;
    }
}

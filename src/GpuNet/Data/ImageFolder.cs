namespace GpuNet.Data;

/// <summary>Image files with their class labels; the class list is fixed by the training folder.</summary>
public sealed record LabeledFiles(string Directory, string[] Classes, string[] Paths, int[] Labels)
{
    public int Count => Paths.Length;

    public LabeledFiles Subset(IEnumerable<int> indices)
    {
        var idx = indices.ToArray();
        return this with { Paths = idx.Select(i => Paths[i]).ToArray(), Labels = idx.Select(i => Labels[i]).ToArray() };
    }
}

/// <summary>Where the training, validation and test images of a data folder come from.</summary>
public sealed record FolderSplits(LabeledFiles Train, LabeledFiles Validation, LabeledFiles? Test, string Layout);

/// <summary>
/// Image folders: <c>DIR/&lt;class&gt;/*</c>, class names sorted (ordinal), with an optional split level
/// (<c>DIR/train</c>, <c>DIR/val</c>, <c>DIR/test</c>). Hidden entries (.git, .DS_Store, Thumbs.db, desktop.ini) are
/// ignored. Files are listed, not read: decoding and its errors belong to <see cref="ImageStore"/>. A file whose name
/// is not valid UTF-8 is read by its bytes (<see cref="FileNames"/>); a class folder's is an error naming it.
/// </summary>
public static class ImageFolder
{
    public static readonly string[] SplitNames = ["train", "val", "validation", "test"];

    public static bool IsHidden(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith('.') || name.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase)
            || name.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Sorted class folder names of <paramref name="dir"/>.</summary>
    public static string[] FindClasses(string dir, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        if (!System.IO.Directory.Exists(dir))
            throw new DataException(File.Exists(dir) ? $"{dir}: is a file, expected a folder of class folders"
                : FileNames.Unopenable(dir) ?? $"{dir}: data folder does not exist");
        var folders = System.IO.Directory.GetDirectories(dir).Where(d => !IsHidden(d)).ToArray();
        // a class name is kept as text (checkpoints, reports): one that is not UTF-8 would be lost in them
        var lost = folders.Where(FileNames.IsLost).Select(d => Path.GetFileName(FileNames.Readable(d))).ToArray();
        if (lost.Length > 0)
            throw new DataException($"{dir}: class folder name{(lost.Length > 1 ? "s" : "")} " +
                $"{string.Join(", ", lost.Order(StringComparer.Ordinal))} {(lost.Length > 1 ? "are" : "is")} " +
                "not valid UTF-8 (class names are kept as text in checkpoints and reports); rename " +
                $"{(lost.Length > 1 ? "them" : "it")} in UTF-8");
        var classes = folders.Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DataException($"{dir}: no class folders (expected {dir}/<class>/<image>)");
        return classes;
    }

    /// <summary>
    /// Lists <c>dir/&lt;class&gt;/*</c>. <paramref name="classes"/> fixes the class list (validation and test folders
    /// use
    /// the training folder's); folders of unknown classes and empty class folders are errors, listed in one message.
    /// A cancelled <paramref name="ct"/> stops the listing between entries.
    /// </summary>
    public static LabeledFiles List(string dir, string[]? classes = null, CancellationToken ct = default)
    {
        var found = FindClasses(dir, ct);
        classes ??= found;
        var unknown = found.Where(c => Array.IndexOf(classes, c) < 0).ToArray();
        if (unknown.Length > 0)
            throw new DataException(
                $"{dir}: class folder(s) {string.Join(", ", unknown)} are not among the model's classes " +
                $"({string.Join(", ", classes)})");
        var paths = new List<string>();
        var labels = new List<int>();
        var empty = new List<string>();
        foreach (var name in found)
        {
            var classDir = Path.Combine(dir, name);
            var entries = System.IO.Directory.EnumerateFiles(classDir).Where(f => !IsHidden(f) && NotCancelled(ct))
                .Order(StringComparer.Ordinal).ToArray();
            if (entries.Length == 0) empty.Add(classDir);
            paths.AddRange(entries);
            labels.AddRange(Enumerable.Repeat(Array.IndexOf(classes, name), entries.Length));
        }
        if (empty.Count > 0)
            throw new DataException(
                $"class folder{(empty.Count > 1 ? "s" : "")} with no images: {string.Join(", ", empty)}");
        return new LabeledFiles(dir, classes, paths.ToArray(), labels.ToArray());
    }

    // true, or OperationCanceledException: a check inside a query over a long listing
    private static bool NotCancelled(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        return true;
    }

    /// <summary>
    /// The splits of a data folder. With <c>DIR/train</c>: it trains; <c>DIR/val</c> (or <c>DIR/validation</c>)
    /// validates, else a seeded <paramref name="validationFraction"/> of train is held out; <c>DIR/test</c> tests if
    /// present. Without split folders, <c>DIR/&lt;class&gt;</c> is split by a seeded shuffle in the ratio
    /// <paramref name="ratios"/> (train, validation, test; default 80/10/10).
    /// </summary>
    public static FolderSplits Split(string dir, ulong seed, double validationFraction, double[]? ratios = null,
        CancellationToken ct = default)
    {
        if (!System.IO.Directory.Exists(dir))
            throw new DataException(File.Exists(dir) ? $"{dir}: is a file, expected a data folder"
                : FileNames.Unopenable(dir) ?? $"{dir}: data folder does not exist");
        string Sub(string name) => Path.Combine(dir, name);
        if (System.IO.Directory.Exists(Sub("train")))
        {
            var train = List(Sub("train"), ct: ct);
            string? valDir = new[] { "val", "validation" }.Select(Sub).FirstOrDefault(System.IO.Directory.Exists);
            var test = System.IO.Directory.Exists(Sub("test")) ? List(Sub("test"), train.Classes, ct) : null;
            if (valDir is not null)
                return new FolderSplits(train, List(valDir, train.Classes, ct), test,
                    $"{dir}: train/, {Path.GetFileName(valDir)}/{(test is null ? "" : ", test/")}");
            var idx = Shuffled(train.Count, seed);
            int nVal = (int)Math.Round(train.Count * validationFraction);
            return new FolderSplits(train.Subset(idx.Skip(nVal).Order()), train.Subset(idx.Take(nVal).Order()), test,
                $"{dir}: train/ ({validationFraction:P0} held out for validation){(test is null ? "" : ", test/")}");
        }
        ratios ??= [0.8, 0.1, 0.1];
        if (ratios.Length != 3 || ratios.Any(r => r < 0) || ratios[0] <= 0)
            throw new ArgumentException(
                "split ratios must be three non-negative numbers TRAIN/VAL/TEST with TRAIN > 0, got " +
                $"{string.Join("/", ratios)}");
        var all = List(dir, ct: ct);
        var order = Shuffled(all.Count, seed);
        double sum = ratios.Sum();
        int nv = (int)Math.Round(all.Count * ratios[1] / sum), nt = (int)Math.Round(all.Count * ratios[2] / sum);
        var testSet = nt > 0 ? all.Subset(order.Skip(nv).Take(nt).Order()) : null;
        return new FolderSplits(all.Subset(order.Skip(nv + nt).Order()), all.Subset(order.Take(nv).Order()), testSet,
            $"{dir}: no train/ folder, seeded split {string.Join("/", ratios.Select(r => Math.Round(100 * r / sum)))}");
    }

    private static int[] Shuffled(int n, ulong seed)
    {
        var idx = Enumerable.Range(0, n).ToArray();
        new Rng(seed ^ 0x5EEDF00DUL).Shuffle(idx);
        return idx;
    }

    /// <summary>
    /// Decodes every image of <c>dir/&lt;class&gt;/*</c> into memory as planar bytes of one size (the classic
    /// algorithms take fixed-length vectors). Unreadable images are skipped into <paramref name="skipped"/>, or with
    /// <paramref name="strict"/> the first is an error naming the file; images of another size are skipped likewise.
    /// </summary>
    public static ImageSet Load(string dir, string[]? classes, bool strict, List<string> skipped,
        Action<int, int>? progress = null, CancellationToken ct = default)
    {
        var files = List(dir, classes, ct);
        var bad = new BadFiles(strict);
        var store = new ImageStore(files, bad);
        store.Preload(Environment.ProcessorCount, progress, ct);
        var good = store.Readable();
        if (good.Length == 0)
            throw new DataException(
                $"{dir}: none of its {files.Count} files is a readable image (first: {bad.Messages.FirstOrDefault()})");
        var first = store.Get(good[0])!;
        int channels = good.Max(i => store.Get(i)!.Channels);
        var keep = new List<int>();
        foreach (int i in good)
        {
            var im = store.Get(i)!;
            if (im.Width != first.Width || im.Height != first.Height)
                bad.Report(files.Paths[i],
                    $"{files.Paths[i]}: image is {im.Width}x{im.Height}, the others are {first.Width}x{first.Height}");
            else keep.Add(i);
        }
        skipped.AddRange(bad.Messages);
        int plane = first.Height * first.Width, size = channels * plane;
        var pixels = new byte[(long)keep.Count * size];
        Parallel.For(0, keep.Count, j =>
        {
            var im = store.Get(keep[j])!;
            var dst = pixels.AsSpan(j * size, size);
            // interleaved (H, W, c) → planar (C, H, W); gray into every channel of an RGB set
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                    dst[c * plane + p] = im.Pixels[p * im.Channels + (im.Channels == 1 ? 0 : c)];
        });
        return new ImageSet(files.Classes, channels, first.Height, first.Width, pixels,
            keep.Select(i => files.Labels[i]).ToArray(), keep.Select(i => files.Paths[i]).ToArray());
    }
}

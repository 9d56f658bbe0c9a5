namespace GpuNet.Data;

/// <summary>
/// An image-folder data set, <c>DIR/&lt;class&gt;/*.png</c>, class names sorted. Hidden entries (.git, .DS_Store,
/// Thumbs.db) are ignored. Unreadable or corrupt images are skipped and reported (or, when strict, the first one
/// is an error naming the file).
/// </summary>
public static class ImageFolder
{
    public static bool IsHidden(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith('.') || name.Equals("Thumbs.db", StringComparison.OrdinalIgnoreCase) || name.Equals("desktop.ini", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Sorted class folder names of <paramref name="dir"/>.</summary>
    public static string[] FindClasses(string dir)
    {
        if (!Directory.Exists(dir))
            throw new DataException(File.Exists(dir) ? $"{dir}: is a file, expected a folder of class folders" : $"{dir}: data folder does not exist");
        var classes = Directory.GetDirectories(dir).Where(d => !IsHidden(d)).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal).ToArray();
        if (classes.Length == 0)
            throw new DataException($"{dir}: no class folders (expected {dir}/<class>/<image>.png)");
        return classes;
    }

    /// <summary>
    /// Loads every image of every class folder into memory. <paramref name="classes"/> fixes the class list (the test
    /// split must use the training split's); by default it is read from the folder.
    /// </summary>
    public static ImageSet Load(string dir, string[]? classes, bool strict, List<string> skipped, Action<int, int>? progress = null)
    {
        var found = FindClasses(dir);
        classes ??= found;
        var unknown = found.Where(c => Array.IndexOf(classes, c) < 0).ToArray();
        if (unknown.Length > 0)
            throw new DataException($"{dir}: class folder(s) {string.Join(", ", unknown)} are not among the model's classes ({string.Join(", ", classes)})");

        var files = new List<(string Path, int Label)>();
        var empty = new List<string>();
        foreach (var name in found)
        {
            var classDir = Path.Combine(dir, name);
            var entries = Directory.GetFiles(classDir).Where(f => !IsHidden(f)).Order(StringComparer.Ordinal).ToArray();
            if (entries.Length == 0) empty.Add(classDir);
            files.AddRange(entries.Select(f => (f, Array.IndexOf(classes, name))));
        }
        if (empty.Count > 0)
            throw new DataException($"class folder{(empty.Count > 1 ? "s" : "")} with no images: {string.Join(", ", empty)}");

        var images = new Image?[files.Count];
        var errors = new string?[files.Count];
        int done = 0;
        Parallel.For(0, files.Count, i =>
        {
            try { images[i] = Png.Read(files[i].Path); }
            catch (Exception e) when (e is DataException or IOException or UnauthorizedAccessException)
            {
                errors[i] = e is DataException ? e.Message : $"{files[i].Path}: cannot read ({e.Message})";
            }
            int d = Interlocked.Increment(ref done);
            if (progress is not null && (d % 2048 == 0 || d == files.Count)) progress(d, files.Count);
        });

        // The first good image fixes the set's size; others must match.
        var first = images.FirstOrDefault(im => im is not null)
            ?? throw new DataException($"{dir}: none of its {files.Count} files is a readable image{(errors.FirstOrDefault(e => e is not null) is { } e0 ? $" (first: {e0})" : "")}");
        int channels = images.Where(im => im is not null).Max(im => im!.Channels);
        var keep = new List<int>();
        for (int i = 0; i < files.Count; i++)
        {
            if (errors[i] is null && (images[i]!.Width != first.Width || images[i]!.Height != first.Height))
                errors[i] = $"{files[i].Path}: image is {images[i]!.Width}x{images[i]!.Height}, the others are {first.Width}x{first.Height}";
            if (errors[i] is not null)
            {
                if (strict) throw new DataException(errors[i]!);
                skipped.Add(errors[i]!);
            }
            else keep.Add(i);
        }

        int size = channels * first.Height * first.Width, plane = first.Height * first.Width;
        var pixels = new byte[(long)keep.Count * size];
        var labels = new int[keep.Count];
        var paths = new string[keep.Count];
        Parallel.For(0, keep.Count, j =>
        {
            var im = images[keep[j]]!;
            var dst = pixels.AsSpan(j * size, size);
            // interleaved (H, W, c) → planar (C, H, W); gray into every channel of an RGB set
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < plane; p++)
                    dst[c * plane + p] = im.Pixels[p * im.Channels + (im.Channels == 1 ? 0 : c)];
            labels[j] = files[keep[j]].Label;
            paths[j] = files[keep[j]].Path;
        });
        return new ImageSet(classes, channels, first.Height, first.Width, pixels, labels, paths);
    }
}

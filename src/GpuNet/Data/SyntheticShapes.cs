namespace GpuNet.Data;

/// <summary>
/// A synthetic RGB image-folder data set for the pipeline and AlexNet here, where no RGB data set can be downloaded:
/// ten classes of shapes (the class is the shape; colour, size, position and rotation vary) drawn anti-aliased on
/// textured backgrounds (noise, stripes, checks, gradients), in sizes of varying aspect ratio, saved as JPEG.
/// </summary>
public static class SyntheticShapes
{
    public static readonly string[] Classes =
        ["circle", "cross", "diamond", "hexagon", "ring", "square", "star", "stripe", "triangle", "vee"];

    /// <summary>
    /// Writes DIR/train/&lt;class&gt;/*.jpg and DIR/test/&lt;class&gt;/*.jpg (no test/ with <paramref
    /// name="testPerClass"/> 0,
    /// so the folder stays trainable); returns the number of files.
    /// </summary>
    public static int Write(string dir, int perClass, int testPerClass, int size, ulong seed, Action<int,
        int>? progress = null)
    {
        if (perClass < 1 || testPerClass < 0) throw new ArgumentException(
            $"--per-class must be at least 1 and --test-per-class at least 0, got {perClass} and {testPerClass}");
        if (size < 16 || size > 4096) throw new ArgumentException($"--size must be between 16 and 4096, got {size}");
        var jobs = new List<(string Path, int Class, ulong Seed)>();
        foreach (var (split, count) in new[] { ("train", perClass), ("test", testPerClass) })
            for (int c = 0; c < Classes.Length && count > 0; c++)
            {
                Directory.CreateDirectory(Path.Combine(dir, split, Classes[c]));
                for (int i = 0; i < count; i++)
                    jobs.Add((Path.Combine(dir, split, Classes[c], $"{Classes[c]}_{i:D5}.jpg"), c,
                        seed * 1_000_003 + (ulong)jobs.Count));
            }
        int done = 0;
        Parallel.ForEach(jobs, job =>
        {
            var rng = new Rng(job.Seed);
            int w = (int)(size * rng.Uniform(1.0f, 1.35f)), h = size;
            if ((rng.NextULong() & 1) != 0) (w, h) = (h, w);
            var px = Render(job.Class, w, h, rng);
            var tmp = job.Path + ".tmp";
            File.WriteAllBytes(tmp, TurboJpeg.Encode(w, h, 3, px, quality: 90));
            File.Move(tmp, job.Path, overwrite: true);
            int d = Interlocked.Increment(ref done);
            if (progress is not null && (d % 256 == 0 || d == jobs.Count)) progress(d, jobs.Count);
        });
        return jobs.Count;
    }

    /// <summary>One image of class <paramref name="cls"/>, interleaved RGB.</summary>
    public static byte[] Render(int cls, int w, int h, Rng rng)
    {
        var px = new byte[w * h * 3];
        Span<float> bgA = stackalloc float[3], bgB = stackalloc float[3], fg = stackalloc float[3];
        RandomColor(rng, bgA); RandomColor(rng, bgB); RandomColor(rng, fg);
        // keep the shape visible: push its brightness away from the background's
        float bgLum = (bgA[0] + bgA[1] + bgA[2] + bgB[0] + bgB[1] + bgB[2]) / 6, fgLum = (fg[0] + fg[1] + fg[2]) / 3;
        float push = bgLum > 0.5f ? -0.45f : 0.45f;
        if (Math.Abs(fgLum - bgLum) < 0.35f) for (int c = 0; c < 3; c++) fg[c] = Math.Clamp(fg[c] + push, 0, 1);
        int texture = rng.Next(4);
        float freq = rng.Uniform(0.08f, 0.3f), angle = rng.Uniform(0, MathF.PI);
        float cx = w * rng.Uniform(0.35f, 0.65f), cy = h * rng.Uniform(0.35f, 0.65f);
        float radius = Math.Min(w, h) * rng.Uniform(0.22f, 0.36f), rot = rng.Uniform(-0.35f, 0.35f);
        float cos = MathF.Cos(rot), sin = MathF.Sin(rot);
        var noise = new float[(w / 8 + 2) * (h / 8 + 2)];
        for (int i = 0; i < noise.Length; i++) noise[i] = (float)rng.NextDouble();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                float t = texture switch
                {
                    0 => Bilinear(noise, w / 8 + 2, x / 8f, y / 8f),
                    1 => 0.5f + 0.5f * MathF.Sin((x * MathF.Cos(angle) + y * MathF.Sin(angle)) * freq),
                    2 => ((x / 12 + y / 12) & 1) * 0.8f + 0.1f,
                    _ => (float)x / w * 0.7f + (float)y / h * 0.3f,
                };
                // shape coordinates: centred, rotated, in units of the radius
                float u = ((x + 0.5f - cx) * cos + (y + 0.5f - cy) * sin) / radius,
                    v = (-(x + 0.5f - cx) * sin + (y + 0.5f - cy) * cos) / radius;
                float a = Math.Clamp(0.5f - Distance(cls, u, v) * radius, 0, 1);   // anti-aliased edge, one pixel wide
                int o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    float bg = bgA[c] * (1 - t) + bgB[c] * t;
                    px[o + c] = (byte)Math.Clamp((bg * (1 - a) + fg[c] * a) * 255 + 0.5f, 0, 255);
                }
            }
        return px;
    }

    private static void RandomColor(Rng rng,
        Span<float> rgb)
    { for (int c = 0; c < 3; c++) rgb[c] = (float)rng.NextDouble(); }

    private static float Bilinear(float[] grid, int gw, float x, float y)
    {
        int x0 = (int)x, y0 = (int)y;
        float fx = x - x0, fy = y - y0;
        float a = grid[y0 * gw + x0], b = grid[y0 * gw + x0 + 1], c = grid[(y0 + 1) * gw + x0],
            d = grid[(y0 + 1) * gw + x0 + 1];
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    // Signed distance (in radii; negative inside) to each class's shape.
    private static float Distance(int cls, float u, float v)
    {
        float au = MathF.Abs(u), av = MathF.Abs(v), r = MathF.Sqrt(u * u + v * v);
        return Classes[cls] switch
        {
            "circle" => r - 1,
            "ring" => MathF.Abs(r - 0.75f) - 0.22f,
            "square" => MathF.Max(au, av) - 0.85f,
            "diamond" => (au + av) / MathF.Sqrt(2) - 0.75f,
            "cross" => MathF.Min(MathF.Max(au - 0.28f, av - 1), MathF.Max(au - 1, av - 0.28f)),
            "stripe" => MathF.Max(au - 1, av - 0.3f),
            "hexagon" => MathF.Max(av * 0.866f + au * 0.5f, au) - 0.9f,
            "triangle" => MathF.Max(MathF.Max(-v - 0.5f, v * 0.5f + au * 0.866f - 0.5f), -1),
            "vee" => MathF.Max(MathF.Abs(v + 0.3f - au * 1.2f) - 0.25f, MathF.Max(au - 0.95f, v - 0.9f)),
            _ => Star(u, v),
        };
    }

    private static float Star(float u, float v)
    {
        float r = MathF.Sqrt(u * u + v * v), th = MathF.Atan2(v, u);
        float spikes = 0.55f + 0.45f * MathF.Cos(5 * th);
        return r - spikes;
    }
}

using System.Diagnostics;
using GpuNet.Data;
using GpuNet.Models;

namespace GpuNet.Bench;

/// <summary>
/// Images per second through the whole input pipeline (read, decode, resize, random crop, flip, PCA colour, normalise,
/// batch; the BatchLoader with its worker threads, no model) next to the raw decode rates of the same files on the same
/// threads through both JPEG paths, TurboJPEG and SkiaSharp (read + decode into reused buffers, as the loader does: the
/// pipeline's ceiling), alternating in one process. The pipeline decodes through TurboJPEG when it is available (run
/// with GPUNET_NO_TURBOJPEG=1 for the pipeline on SkiaSharp); its ratio is to the raw rate of the path it uses.
/// </summary>
internal static class PipelineRate
{
    private delegate Image Reader(string path, long maxPixels, DecodeScratch scratch, int minShorterSide);

    public static int Run(string dir, string model, int rounds, int workers, int minImages = 20000)
    {
        var files = ImageFolder.List(Directory.Exists(Path.Combine(dir, "train")) ? Path.Combine(dir, "train") : dir);
        workers = workers > 0 ? workers : Environment.ProcessorCount;
        var shape = ModelZoo.InputShape(model);
        string spec = ModelZoo.DefaultTransforms(model).Train;
        var first = ImageDecoder.Read(files.Paths[0]);
        var lighting = ColorPca.Fit([first]);
        var tf = new Transform(Transform.ParseSteps(spec), shape, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f], lighting);
        // every round goes over the files enough times to take a second or more on two cores
        int passes = Math.Max(1, (int)Math.Ceiling(minImages / (double)files.Count));
        var order = Enumerable.Range(0, passes * files.Count).Select(i => i % files.Count).ToArray();
        bool turbo = TurboJpeg.IsAvailable;
        string decoder = turbo ? "TurboJPEG" : $"SkiaSharp ({TurboJpeg.Unavailable})";
        Console.WriteLine($"{files.Count} files from {dir} (first {first.Width}x{first.Height}) x {passes} a round, " +
            $"{workers} threads, transform [{spec}] into {string.Join("x", shape)}, batch 128, " +
            $"the pipeline decodes JPEG through {decoder}");
        // sources at least twice the resize decode at reduced scale in the pipeline; the bench then also shows that
        // rate
        bool reduced = tf.DecodeShorterSide > 0 && Math.Min(first.Width, first.Height) >= 2 * tf.DecodeShorterSide;
        var paths = new List<(string Name, Reader Read)>();
        if (turbo) paths.Add(("TurboJPEG", ImageDecoder.Read));
        paths.Add(("SkiaSharp", ImageDecoder.ReadThroughSkia));
        var columns = paths.Select(p => $"{p.Name} raw")
            .Concat(reduced ? paths.Select(p => $"{p.Name} reduced scale") : []).ToList();
        Console.WriteLine("| round | " + string.Join(" | ", columns.Select(c => c + " (img/s)")) +
            " | pipeline (img/s) | pipeline / raw |");
        Console.WriteLine("|---|" + string.Concat(columns.Select(_ => "---|")) + "---|---|");
        int[] mins = reduced ? [0, tf.DecodeShorterSide] : [0];
        var rates = columns.ToDictionary(c => c, _ => new List<double>());
        var ratios = new List<double>();
        for (int r = 1; r <= rounds; r++)
        {
            var row = new List<double>();
            foreach (int min in mins)
                foreach (var (_, read) in paths) row.Add(DecodeRate(files, order, workers, read, min));
            for (int c = 0; c < columns.Count; c++) rates[columns[c]].Add(row[c]);

            var store = new ImageStore(files, new BadFiles(strict: true));
            var loader = new BatchLoader(store, tf, 128, workers, prefetch: 2, seed: (ulong)r);
            var sw = Stopwatch.StartNew();
            int seen = 0;
            foreach (var b in loader.Run(order, r)) seen += b.Count;
            double pipe = seen / sw.Elapsed.TotalSeconds;
            // the pipeline's own path: the first raw column (TurboJPEG when there, else SkiaSharp)
            ratios.Add(pipe / row[0]);
            string raw = string.Join(" | ", row.Select(v => v.ToString("N0")));
            Console.WriteLine($"| {r} | {raw} | {pipe:N0} | {pipe / row[0]:P0} |");
        }
        Console.WriteLine($"median pipeline / raw {paths[0].Name} decode: {Median(ratios):P0}");
        foreach (var c in columns) Console.WriteLine($"median {c}: {Median(rates[c]):N0} img/s");
        if (turbo)
            Console.WriteLine($"median SkiaSharp / TurboJPEG raw decode, round by round: " +
                $"{Median(rates["SkiaSharp raw"].Zip(rates["TurboJPEG raw"], (s, t) => s / t).ToList()):P0}");
        return 0;
    }

    // Images per second decoding the files in order on `workers` threads, each with its own reused buffers.
    private static double DecodeRate(LabeledFiles files, int[] order, int workers, Reader read, int minShorterSide)
    {
        var sw = Stopwatch.StartNew();
        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        Parallel.For(0, order.Length, options, () => new DecodeScratch(), (i, _, scratch) =>
        {
            read(files.Paths[order[i]], ImageDecoder.DefaultMaxPixels, scratch, minShorterSide);
            return scratch;
        }, _ => { });
        return order.Length / sw.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}

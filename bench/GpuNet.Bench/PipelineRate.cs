using System.Diagnostics;
using GpuNet.Data;
using GpuNet.Models;

namespace GpuNet.Bench;

/// <summary>
/// Images per second through the whole input pipeline (read, decode, resize, random crop, flip, PCA colour, normalise,
/// batch; the BatchLoader with its worker threads, no model) next to the raw TurboJPEG decode rate of the same files on
/// the same threads (read + decode into reused buffers, as the loader does: the pipeline's ceiling), alternating in one process, as a ratio.
/// </summary>
internal static class PipelineRate
{
    public static int Run(string dir, string model, int rounds, int workers, int minImages = 20000)
    {
        if (TurboJpeg.Unavailable is { } why) { Console.Error.WriteLine($"error: {why}"); return 1; }
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
        Console.WriteLine($"{files.Count} files from {dir} (first {first.Width}x{first.Height}) x {passes} per round, {workers} threads, transform [{spec}] into {string.Join("x", shape)}, batch 128");
        // sources at least twice the resize decode at reduced scale in the pipeline; the bench then also shows that rate
        bool reduced = tf.DecodeShorterSide > 0 && Math.Min(first.Width, first.Height) >= 2 * tf.DecodeShorterSide;
        Console.WriteLine("| round | raw decode (img/s) |" + (reduced ? " raw decode at reduced scale (img/s) |" : "") + " pipeline (img/s) | pipeline / raw |");
        Console.WriteLine("|---|---|" + (reduced ? "---|" : "") + "---|---|");
        var ratios = new List<double>();
        for (int r = 1; r <= rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            long pixels = 0;
            Parallel.For(0, order.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, () => new DecodeScratch(),
                (i, _, scratch) => { var im = ImageDecoder.Read(files.Paths[order[i]], ImageDecoder.DefaultMaxPixels, scratch); Interlocked.Add(ref pixels, im.Width * im.Height); return scratch; },
                _ => { });
            double raw = order.Length / sw.Elapsed.TotalSeconds;
            string scaled = "";
            if (reduced)
            {
                sw.Restart();
                Parallel.For(0, order.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, () => new DecodeScratch(),
                    (i, _, scratch) => { ImageDecoder.Read(files.Paths[order[i]], ImageDecoder.DefaultMaxPixels, scratch, tf.DecodeShorterSide); return scratch; }, _ => { });
                scaled = $" {order.Length / sw.Elapsed.TotalSeconds:N0} |";
            }

            var loader = new BatchLoader(new ImageStore(files, new BadFiles(strict: true)), tf, 128, workers, prefetch: 2, seed: (ulong)r);
            sw.Restart();
            int seen = 0;
            foreach (var b in loader.Run(order, r)) seen += b.Count;
            double pipe = seen / sw.Elapsed.TotalSeconds;
            ratios.Add(pipe / raw);
            Console.WriteLine($"| {r} | {raw:N0} |{scaled} {pipe:N0} | {pipe / raw:P0} |");
        }
        ratios.Sort();
        Console.WriteLine($"median pipeline / raw decode: {ratios[ratios.Count / 2]:P0}");
        return 0;
    }
}

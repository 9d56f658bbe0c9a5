using System.Buffers.Binary;
using GpuNet.Data;
using GpuNet.Tests.Ops;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Tests.Data;

/// <summary>A smooth RGB test picture (JPEG reproduces smooth content closely) and folder helpers.</summary>
internal static class Pictures
{
    public static byte[] Smooth(int w, int h, int channels = 3)
    {
        var px = new byte[w * h * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                    px[(y * w + x) * channels + c] =
                        (byte)(128 + 100 * Math.Sin(0.07 * x * (c + 1) + 0.05 * y) * Math.Cos(0.04 * y * (2 - c % 2)));
        return px;
    }

    public static void Write(string path, byte[] bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
    }
}

/// <summary>JPEG folders through the loader, whichever JPEG decoder is in use; fixtures written by SkiaSharp.</summary>
public sealed class JpegTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-jpeg").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void Large_JPEGs_decode_at_reduced_scale_for_a_resize_and_render_like_the_full_decode()
    {
        string path = Path.Combine(_dir, "big.jpg");
        File.WriteAllBytes(path, ImageFixtures.Jpeg(640, 480, 3, Pictures.Smooth(640, 480), 95));
        var full = ImageDecoder.Read(path);
        var scratch = new DecodeScratch();
        // ¼
        Assert.Equal((160, 120), (ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, scratch, 100) is var q
            ? (q.Width, q.Height) : default));
        // ½
        Assert.Equal((320, 240), (ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, scratch, 121) is var h
            ? (h.Width, h.Height) : default));
        // full
        Assert.Equal((640, 480), (ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, scratch, 241) is var f
            ? (f.Width, f.Height) : default));

        // the loader decodes at ¼ for resize:100 (120 ≥ 100); the input it renders matches the full-size decode's
        var tf = new Transform(Transform.ParseSteps("resize:100,center-crop:96"), [3, 96, 96], [0.5f, 0.5f, 0.5f],
            [0.25f, 0.25f, 0.25f]);
        Assert.Equal(100, tf.DecodeShorterSide);
        var want = new float[tf.SampleSize];
        tf.Apply(full, want, new Rng(1));
        var files = new LabeledFiles(_dir, ["x"], [path], [0]);
        var got = new BatchLoader(new ImageStore(files, new BadFiles(true)), tf, 1, workers: 1).Run([0], 1).Single()
            .Input.AsSpan(0, tf.SampleSize).ToArray();
        double mean = want.Zip(got).Average(t => Math.Abs(t.First - t.Second)) * 0.25 * 255,
            max = want.Zip(got).Max(t => Math.Abs(t.First - t.Second)) * 0.25 * 255;
        Assert.True(mean < 1.5 && max < 12,
            $"reduced-scale decode differs from the full decode by {mean:F2} levels on average, {max:F1} at most");

        // a store told the transforms' first resize caches (and budgets for) the reduced images
        var store = new ImageStore(files, new BadFiles(true)) { DecodeShorterSide = 100 };
        Assert.Equal(160 * 120 * 3, store.EstimateDecodedBytes());
        Assert.Equal(640 * 480 * 3, new ImageStore(files, new BadFiles(true)).EstimateDecodedBytes());
        store.Preload(1);
        Assert.Equal((160, 120), (store.Get(0)!.Width, store.Get(0)!.Height));
    }

    /// <summary>The corrupt corpus: each file is refused with a message naming it and the problem.</summary>
    public static Dictionary<string, (byte[] Bytes, string Says)> CorruptCorpus()
    {
        var jpeg = ImageFixtures.Jpeg(64, 48, 3, Pictures.Smooth(64, 48), 90);
        var png = ImageFixtures.Png(16, 16, 3, Pictures.Smooth(16, 16));
        var bomb = ImageFixtures.Jpeg(8, 8, 3, Pictures.Smooth(8, 8), 90);
        int sof = bomb.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(sof + 5), 50_000);   // height
        BinaryPrimitives.WriteUInt16BigEndian(bomb.AsSpan(sof + 7), 50_000);   // width
        return new()
        {
            ["truncated.jpg"] = (jpeg[..(jpeg.Length / 2)], "truncated JPEG"),
            ["truncated.png"] = (png[..(png.Length - 30)], "truncated PNG"),
            ["zero.jpg"] = ([], "empty file"),
            ["text.jpg"] = ("just some notes, not a picture\n"u8.ToArray(),
                "not a JPEG, PNG, WebP, BMP or GIF image (starts with text"),
            ["bomb.jpg"] = (bomb, "50000x50000 = 2500000000 pixels, over the limit"),
        };
    }

    [Fact]
    public void Corrupt_files_are_refused_with_a_message_naming_the_file()
    {
        foreach (var (name, (bytes, says)) in CorruptCorpus())
        {
            var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(bytes, name));
            Assert.StartsWith(name + ": ", e.Message);
            Assert.Contains(says, e.Message);
        }
    }

    [Fact]
    public void A_folder_with_the_corrupt_corpus_skips_and_counts_each_or_fails_on_the_first_when_strict()
    {
        for (int i = 0; i < 6; i++)
            Pictures.Write(Path.Combine(_dir, "set", i % 2 == 0 ? "a" : "b", $"{i}.jpg"),
                ImageFixtures.Jpeg(40, 30, 3, Pictures.Smooth(40, 30), 90));
        foreach (var (name, (bytes, _)) in CorruptCorpus()) Pictures.Write(Path.Combine(_dir, "set", "b", name), bytes);
        var files = ImageFolder.List(Path.Combine(_dir, "set"));
        Assert.Equal(11, files.Count);
        foreach (bool cached in new[] { true, false })
        {
            var bad = new BadFiles(strict: false);
            var store = new ImageStore(files, bad);
            if (cached) store.Preload(2);
            var loader = new BatchLoader(store, new Transform([new ResizeShorter(16), new CenterCrop(16, 16)],
                [3, 16, 16], [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]), 4, workers: 2);
            int images = loader.Run(Enumerable.Range(0, files.Count).ToArray(), 1).Sum(b => b.Count);
            Assert.Equal(6, images);
            Assert.Equal(5, bad.Count);
            Assert.All(CorruptCorpus().Keys, k => Assert.Contains(bad.Messages, m => m.Contains(k)));
        }
        var strict = new BatchLoader(new ImageStore(files, new BadFiles(strict: true)),
            new Transform([], [3, 16, 16], [0, 0, 0], [1, 1, 1]), 4, workers: 2);
        var e = Assert.Throws<DataException>(() =>
            strict.Run(Enumerable.Range(0, files.Count).ToArray(), 1).Sum(b => b.Count));
        Assert.Contains(Path.Combine(_dir, "set", "b"), e.Message);
    }
}

/// <summary>
/// TurboJPEG, the fast JPEG path: its decode against the source, SkiaSharp's decode against it, and the synthetic data
/// set it writes. Skipped with the reason when libturbojpeg is missing or hidden (GPUNET_NO_TURBOJPEG=1).
/// </summary>
[RequiresAccelerator("turbojpeg")]
public sealed class TurboJpegTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-turbojpeg").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static int MaxDifference(Image a, Image b)
    {
        Assert.Equal((a.Width, a.Height, a.Channels), (b.Width, b.Height, b.Channels));
        int max = 0;
        for (long i = 0, n = (long)a.Width * a.Height * a.Channels; i < n; i++)
            max = Math.Max(max, Math.Abs(a.Pixels[i] - b.Pixels[i]));
        return max;
    }

    [AcceleratorTheory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void Baseline_and_progressive_JPEG_decode_to_the_source_within_tolerance(bool progressive, bool subsample)
    {
        var src = Pictures.Smooth(45, 31);
        var jpeg = TurboJpeg.Encode(45, 31, 3, src, quality: 95, progressive: progressive, subsample: subsample);
        Assert.Equal(progressive, jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC2 }) >= 0);   // SOF2 marks progressive
        var img = TurboJpeg.Decode(jpeg, "x.jpg", ImageDecoder.DefaultMaxPixels);
        Assert.Equal((45, 31, 3), (img.Width, img.Height, img.Channels));
        long sum = 0; int max = 0;
        for (int i = 0; i < src.Length; i++)
        {
            int d = Math.Abs(src[i] - img.Pixels[i]);
            (sum, max) = (sum + d, Math.Max(max, d));
        }
        Assert.True(sum < 2.5 * src.Length && max < 40, $"mean |error| {(double)sum / src.Length:F2}, max {max}");
    }

    [AcceleratorFact]
    public void SkiaSharp_decodes_JPEGs_to_TurboJPEG_pixels_within_one_level_at_every_scale()
    {
        var photo = Pictures.Smooth(203, 157);
        var files = new List<(string Name, byte[] Bytes)>
        {
            ("skia 4:2:0", ImageFixtures.Jpeg(203, 157, 3, photo, 90)),
            ("skia 4:4:4", ImageFixtures.Jpeg(203, 157, 3, photo, 90, subsample: false)),
            ("skia gray", ImageFixtures.Jpeg(203, 157, 1, Pictures.Smooth(203, 157, 1), 90)),
            ("turbojpeg baseline", TurboJpeg.Encode(203, 157, 3, photo, 85)),
            ("turbojpeg progressive", TurboJpeg.Encode(203, 157, 3, photo, 85, progressive: true)),
            ("turbojpeg CMYK", TurboJpeg.Encode(16, 16, 4,
                Enumerable.Range(0, 1024).Select(i => (byte)(i * 13)).ToArray())),
            ("stored CMYK", ImageFixtures.CmykJpeg),
        };
        foreach (var (name, bytes) in files)
            foreach (int min in new[] { 0, 19, 39, 78 })   // full size, ⅛, ¼, ½ of the 203×157 images
            {
                var turbo = TurboJpeg.Decode(bytes, name, ImageDecoder.DefaultMaxPixels, minShorterSide: min);
                var skia = SkiaDecoder.Decode(bytes, ImageDecoder.Format.Jpeg, name, ImageDecoder.DefaultMaxPixels,
                    null, min);
                int max = MaxDifference(turbo, skia);
                Assert.True(max <= 1, $"{name}, shorter side ≥ {min} ({skia.Width}x{skia.Height}): " +
                    $"SkiaSharp differs from TurboJPEG by {max} levels");
            }
    }

    [AcceleratorFact]
    public void Synthetic_shapes_are_JPEG_folders_that_decode()
    {
        int n = SyntheticShapes.Write(Path.Combine(_dir, "shapes"), 2, 1, 32, seed: 3);
        Assert.Equal(30, n);
        var splits = ImageFolder.Split(Path.Combine(_dir, "shapes"), 1, 0.1);
        Assert.Equal(SyntheticShapes.Classes, splits.Train.Classes);
        Assert.NotNull(splits.Test);
        var img = ImageDecoder.Read(splits.Train.Paths[0]);
        Assert.Equal(3, img.Channels);
        Assert.Equal(32, Math.Min(img.Width, img.Height));

        // without test images there is no test/ folder (empty class folders would make the set untrainable)
        Assert.Equal(20, SyntheticShapes.Write(Path.Combine(_dir, "no-test"), 2, 0, 32, seed: 3));
        Assert.False(Directory.Exists(Path.Combine(_dir, "no-test", "test")));
        Assert.Equal(20, ImageFolder.Split(Path.Combine(_dir, "no-test"), 1, 0.1).Train.Count
            + ImageFolder.Split(Path.Combine(_dir, "no-test"), 1, 0.1).Validation.Count);
    }
}

public sealed class ImagePipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-pipeline").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // Plainly: resize the whole image with the triangle filter (support widened by the shrink factor) in double,
    // then crop the window, mirror, normalise.
    private static double[] Reference(Image im, int scaledW, int scaledH, int x0, int y0, int w, int h, bool flip,
        float mean, float std)
    {
        double[] Weights(int u, int scaled, int src, out int lo)
        {
            double ratio = (double)src / scaled, support = Math.Max(1, ratio), centre = (u + 0.5) * ratio - 0.5;
            var list = new List<(int, double)>();
            for (int s = 0; s < src; s++)
            {
                double wt = Math.Max(0, 1 - Math.Abs(s - centre) / support);
                if (wt > 0) list.Add((s, wt));
            }
            double total = list.Sum(t => t.Item2);
            lo = list[0].Item1;
            return list.Select(t => t.Item2 / total).ToArray();
        }
        var outp = new double[im.Channels * w * h];
        for (int c = 0; c < im.Channels; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int u = x0 + (flip ? w - 1 - x : x), v = y0 + y;
                    // black outside
                    if (u < 0 || u >= scaledW || v < 0 || v >= scaledH)
                    {
                        outp[(c * h + y) * w + x] = -mean / std;
                        continue;
                    }
                    var wx = Weights(u, scaledW, im.Width, out int sx);
                    var wy = Weights(v, scaledH, im.Height, out int sy);
                    double acc = 0;
                    for (int j = 0; j < wy.Length; j++)
                        for (int i = 0; i < wx.Length; i++)
                            acc += wy[j] * wx[i] * im.Pixels[((sy + j) * im.Width + sx + i) * im.Channels + c];
                    outp[(c * h + y) * w + x] = (acc / 255 - mean) / std;
                }
        return outp;
    }

    [Theory]
    [InlineData(60, 45, 32, false)]   // shrink (antialiased), landscape
    [InlineData(30, 40, 36, true)]    // enlarge, portrait, mirrored
    [InlineData(101, 77, 50, false)]  // odd sizes
    public void Resize_then_crop_equals_the_double_precision_reference(int w, int h, int shorter, bool flip)
    {
        var im = new Image(w, h, 3, Pictures.Smooth(w, h));
        int crop = shorter - 5;
        var tf = new Transform([new ResizeShorter(shorter), new CenterCrop(crop, crop)], [3, crop, crop],
            [0.4f, 0.4f, 0.4f], [0.2f, 0.2f, 0.2f]);
        var f = Frame.Of(im);
        new ResizeShorter(shorter).Apply(ref f, new Rng(1), -1);
        new CenterCrop(crop, crop).Apply(ref f, new Rng(1), -1);
        f.Flip = flip;
        var got = new float[3 * crop * crop];
        tf.Render(in f, got);
        var want = Reference(im, f.ScaledWidth, f.ScaledHeight, f.X, f.Y, crop, crop, flip, 0.4f, 0.2f);
        Assert.Equal(shorter, Math.Min(f.ScaledWidth, f.ScaledHeight));
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) < 1e-3, $"element {i}: {got[i]} vs {want[i]}");
    }

    [Theory]
    [InlineData(37, 23, 3, 29, 41, 0, false)]    // wider than the image: black columns; taller: black rows
    [InlineData(37, 23, 3, 20, 17, 5, true)]     // inside, mirrored, odd sizes (vector body and scalar tail)
    [InlineData(40, 30, 1, 25, 33, -3, true)]    // gray source, window hanging off the left edge, mirrored
    [InlineData(9, 2, 3, 9, 2, 0, false)]        // tiny: the first bytes of the image are read forwards
    public void Copy_path_equals_the_reference(int w, int h, int channels, int cropW, int cropH, int dx, bool flip)
    {
        var im = new Image(w, h, channels, Pictures.Smooth(w, h, channels));
        var tf = new Transform([], [channels, cropH, cropW], Enumerable.Repeat(0.4f, channels).ToArray(),
            Enumerable.Repeat(0.2f, channels).ToArray());
        var f = Frame.Of(im);
        new CenterCrop(cropH, cropW).Apply(ref f, new Rng(1), -1);
        f.X += dx; f.Flip = flip;
        var got = new float[channels * cropH * cropW];
        tf.Render(in f, got);
        var want = Reference(im, w, h, f.X, f.Y, cropW, cropH, flip, 0.4f, 0.2f);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) < 1e-4, $"element {i}: {got[i]} vs {want[i]}");
    }

    [Fact]
    public void Resize_with_a_window_partly_outside_the_image_pads_with_black()
    {
        var im = new Image(50, 40, 3, Pictures.Smooth(50, 40));
        var tf = new Transform([], [3, 30, 45], [0.4f, 0.4f, 0.4f], [0.2f, 0.2f, 0.2f]);
        var f = Frame.Of(im);
        new ResizeShorter(32).Apply(ref f, new Rng(1), -1);
        (f.X, f.Y, f.Width, f.Height, f.Flip) = (-4, 5, 45, 30, true);
        var got = new float[3 * 30 * 45];
        tf.Render(in f, got);
        var want = Reference(im, f.ScaledWidth, f.ScaledHeight, f.X, f.Y, 45, 30, true, 0.4f, 0.2f);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) < 1e-3, $"element {i}: {got[i]} vs {want[i]}");
    }

    [Fact]
    public void Flip_mirrors_random_crop_stays_inside_and_ten_crop_covers_corners_and_centre()
    {
        var im = new Image(4, 1, 1, [10, 20, 30, 40]);
        var tf = new Transform([], [1, 1, 4], [0f], [1 / 255f]);   // output = pixel value
        var f = Frame.Of(im); f.Flip = true;
        var dst = new float[4];
        tf.Render(in f, dst);
        Assert.Equal(new float[] { 40, 30, 20, 10 }, dst);

        var rng = new Rng(5);
        var seen = new HashSet<(int, int)>();
        for (int i = 0; i < 200; i++)
        {
            var g = Frame.Of(new Image(10, 8, 1, new byte[80]));
            new RandomCrop(5, 6).Apply(ref g, rng, -1);
            Assert.InRange(g.X, 0, 4); Assert.InRange(g.Y, 0, 3);
            seen.Add((g.X, g.Y));
        }
        Assert.Equal(5 * 4, seen.Count);

        var views = Enumerable.Range(0, TenCrop.Views).Select(v =>
            {
                var g = Frame.Of(new Image(10, 8, 1, new byte[80])); new TenCrop(4, 6).Apply(ref g, rng, v);
                return (g.X, g.Y, g.Flip);
            }).ToArray();
        Assert.Equal([(0, 0, false), (4, 0, false), (0, 4, false), (4, 4, false), (2, 2, false)], views[..5]);
        Assert.Equal(views[..5].Select(v => (v.X, v.Y, true)), views[5..]);
    }

    [Fact]
    public void Gray_is_replicated_to_RGB_and_RGB_averaged_to_gray()
    {
        var rgbModel = new Transform([], [3, 1, 2], [0, 0, 0], [1 / 255f, 1 / 255f, 1 / 255f]);
        var dst = new float[6];
        rgbModel.Apply(new Image(2, 1, 1, [7, 9]), dst, new Rng(1));
        Assert.Equal(new float[] { 7, 9, 7, 9, 7, 9 }, dst);
        var grayModel = new Transform([], [1, 1, 1], [0], [1 / 255f]);
        var one = new float[1];
        grayModel.Apply(new Image(1, 1, 3, [100, 200, 50]), one, new Rng(1));
        Assert.Equal((299 * 100 + 587 * 200 + 114 * 50 + 500) / 1000, one[0], 1e-3);
    }

    [Fact]
    public void PCA_colour_matches_MathNet_PCA_of_the_pixels_and_shifts_by_the_drawn_amounts()
    {
        var rng = new Rng(9);
        var images = Enumerable.Range(0, 5).Select(_ =>
        {
            var px = new byte[30 * 20 * 3];
            for (int i = 0; i < px.Length / 3; i++)
            {
                double t = rng.NextDouble(), s = rng.NextDouble();
                px[3 * i] = (byte)(200 * t + 20 * s); px[3 * i + 1] = (byte)(150 * t + 60 * s);
                px[3 * i + 2] = (byte)(40 * s + 30 * rng.NextDouble());
            }
            return new Image(30, 20, 3, px);
        }).ToList();
        var pca = ColorPca.Fit(images, step: 1);
        var x = Matrix<double>.Build.Dense(images.Count * 600, 3,
            (r, c) => images[r / 600].Pixels[3 * (r % 600) + c] / 255.0);
        var reference = GpuNet.Classic.Pca.Fit(x, 3);
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(reference.Variances[j], pca.Values[j], 1e-4);
            for (int i = 0; i < 3; i++) Assert.Equal(reference.Components[i, j], pca.Vectors[3 * i + j], 1e-3);
        }
        // the shift is Σ p_j α_j λ_j with α drawn from the same generator
        var draw = new Rng(4);
        var alpha = Enumerable.Range(0, 3).Select(_ => draw.NextGaussian() * 0.1).ToArray();
        var shift = pca.Draw(new Rng(4), 0.1f);
        for (int i = 0; i < 3; i++)
            Assert.Equal(Enumerable.Range(0, 3).Sum(j => pca.Vectors[3 * i + j] * alpha[j] * pca.Values[j]), shift[i],
                1e-6);
        var tf = new Transform([new PcaColor(0.1f)], [3, 20, 30], [0, 0, 0], [1, 1, 1], pca);
        // the step draws the shift itself, from the eigenbasis the transform hands it
        var frame = Frame.Of(images[0]);
        tf.Steps[0].Apply(ref frame, new Rng(4), -1);
        Assert.Equal(shift, frame.Shift);
        var unbound = Frame.Of(images[0]);
        new PcaColor(0.1f).Apply(ref unbound, new Rng(4), -1);
        Assert.Equal(System.Numerics.Vector3.Zero, unbound.Shift);
        var plain = new Transform([], [3, 20, 30], [0, 0, 0], [1, 1, 1]);
        var a = new float[tf.SampleSize]; var b = new float[tf.SampleSize];
        tf.Apply(images[0], a, new Rng(4)); plain.Apply(images[0], b, new Rng(4));
        for (int c = 0; c < 3; c++) Assert.Equal(shift[c], a[c * 600 + 17] - b[c * 600 + 17], 1e-5);
    }

    [Fact]
    public void Transform_specs_parse_and_print_back_and_bad_steps_say_what_is_known()
    {
        const string spec = "resize:256,random-crop:227,flip,pca-color:0.1";
        Assert.Equal(spec, Transform.Format(Transform.ParseSteps(spec)));
        Assert.Equal("resize:76,ten-crop:67", GpuNet.Models.ModelZoo.TenCropOf("resize:76,center-crop:67"));
        Assert.Contains("known: resize:S",
            Assert.Throws<ArgumentException>(() => Transform.ParseSteps("resize:256,blur:3")).Message);
        Assert.Contains("expected a size",
            Assert.Throws<ArgumentException>(() => Transform.ParseSteps("random-crop:big")).Message);
    }

    private void Png(string rel, byte value, int w = 6, int h = 5)
    {
        Pictures.Write(Path.Combine(_dir, rel),
            ImageFixtures.Png(w, h, 3, Enumerable.Repeat(value, w * h * 3).ToArray()));
    }

    [Fact]
    public void Folders_with_split_level_use_it_and_folders_without_are_split_80_10_10_by_seed()
    {
        for (int i = 0; i < 10; i++) { Png($"s/train/a/{i}.png", 1); Png($"s/train/b/{i}.png", 2); }
        Png("s/val/a/0.png", 1); Png("s/val/b/0.png", 2); Png("s/test/b/0.png", 2);
        var s = ImageFolder.Split(Path.Combine(_dir, "s"), 1, 0.1);
        Assert.Equal((20, 2, 1), (s.Train.Count, s.Validation.Count, s.Test!.Count));
        Assert.Equal(1, s.Test.Labels[0]);   // class b in the training folder's list

        for (int i = 0; i < 50; i++) { Png($"flat/cat/{i:D2}.png", 3); Png($"flat/dog/{i:D2}.png", 4); }
        File.WriteAllText(Path.Combine(_dir, "flat/.DS_Store"), "x");
        Directory.CreateDirectory(Path.Combine(_dir, "flat/.git"));
        var f1 = ImageFolder.Split(Path.Combine(_dir, "flat"), 7, 0.1);
        var f2 = ImageFolder.Split(Path.Combine(_dir, "flat"), 7, 0.1);
        var f3 = ImageFolder.Split(Path.Combine(_dir, "flat"), 8, 0.1);
        Assert.Equal(["cat", "dog"], f1.Train.Classes);
        Assert.Equal((80, 10, 10), (f1.Train.Count, f1.Validation.Count, f1.Test!.Count));
        Assert.Equal(f1.Validation.Paths, f2.Validation.Paths);
        Assert.NotEqual(f1.Validation.Paths, f3.Validation.Paths);
        Assert.Empty(f1.Train.Paths.Intersect(f1.Validation.Paths).Concat(f1.Train.Paths.Intersect(f1.Test.Paths)));
        var f4 = ImageFolder.Split(Path.Combine(_dir, "flat"), 7, 0.1, [70, 30, 0]);
        Assert.Equal((70, 30), (f4.Train.Count, f4.Validation.Count));
        Assert.Null(f4.Test);
    }

    [Fact]
    public void Empty_class_folders_are_listed_in_one_error_and_no_classes_is_an_error()
    {
        Png("e/a/0.png", 1);
        Directory.CreateDirectory(Path.Combine(_dir, "e/b"));
        Directory.CreateDirectory(Path.Combine(_dir, "e/c"));
        var e = Assert.Throws<DataException>(() => ImageFolder.Split(Path.Combine(_dir, "e"), 1, 0.1));
        Assert.Contains("class folders with no images", e.Message);
        Assert.Contains("e/b", e.Message); Assert.Contains("e/c", e.Message);
        Directory.CreateDirectory(Path.Combine(_dir, "none/.git"));
        Assert.Contains("no class folders",
            Assert.Throws<DataException>(() => ImageFolder.Split(Path.Combine(_dir, "none"), 1, 0.1)).Message);
    }

    [Fact]
    public void Ten_crop_batches_drop_unreadable_images_and_keep_every_view_of_the_rest_in_place()
    {
        // good PNGs with bad files between them, so batches of 4 lose 0, 1 or 2 images
        var names = new List<string>();
        for (int i = 0; i < 14; i++)
        {
            string path = Path.Combine(_dir, "t", $"c{i % 2}", $"{i:D2}.png");
            byte[] bytes = (i % 5) switch
            {
                1 => [],                                                                     // zero bytes
                3 when i > 5 => "not an image"u8.ToArray(),                                  // text
                _ => ImageFixtures.Png(20 + i, 17 + i % 3, 3, Pictures.Smooth(20 + i, 17 + i % 3)),
            };
            if (i == 12) bytes = bytes[..(bytes.Length / 2)];                                // truncated
            Pictures.Write(path, bytes);
        }
        var files = ImageFolder.List(Path.Combine(_dir, "t"));
        var tf = new Transform(Transform.ParseSteps("resize:16,ten-crop:12"), [3, 12, 12], [0.5f, 0.5f, 0.5f],
            [0.2f, 0.2f, 0.2f]);
        var order = Enumerable.Range(0, files.Count).ToArray();
        var bad = new BadFiles(strict: false);
        var store = new ImageStore(files, bad);
        int seen = 0;
        foreach (var b in new BatchLoader(store, tf, 4, workers: 3, prefetch: 1)
            .Run(order, epoch: 1, views: TenCrop.Views))
            for (int j = 0; j < b.Count; j++, seen++)
            {
                var image = ImageDecoder.Read(files.Paths[b.Items[j]]);
                Assert.Equal(files.Labels[b.Items[j]], b.Labels[j]);
                for (int v = 0; v < TenCrop.Views; v++)
                {
                    var want = new float[tf.SampleSize];
                    tf.Apply(image, want, BatchLoader.SampleRng(1, 1, b.Items[j]), v);
                    Assert.Equal(want, b.View(v).Slice(j * tf.SampleSize, tf.SampleSize).ToArray());
                }
            }
        Assert.Equal(files.Count - bad.Count, seen);
        Assert.Equal(6, bad.Count);   // 3 empty, 2 text, 1 truncated
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_same_seed_gives_the_same_batches_with_1_and_4_workers(bool cached)
    {
        for (int i = 0; i < 23; i++)
        {
            var px = new byte[(20 + i) * 18 * 3];
            new Rng((ulong)i).NextULong();
            for (int k = 0; k < px.Length; k++) px[k] = (byte)((k * 31 + i * 17) % 251);
            Pictures.Write(Path.Combine(_dir, "d", $"c{i % 3}", $"{i}.png"), ImageFixtures.Png(20 + i, 18, 3, px));
        }
        var files = ImageFolder.List(Path.Combine(_dir, "d"));
        var steps = Transform.ParseSteps("resize:16,random-crop:12,flip,pca-color:0.1");
        var lighting = new ColorPca([0.02f, 0.01f, 0.005f], [0.58f, 0.7f, 0.4f, 0.57f, 0f, -0.8f, 0.57f, -0.7f, 0.4f]);
        var tf = new Transform(steps, [3, 12, 12], [0.5f, 0.5f, 0.5f], [0.2f, 0.2f, 0.2f], lighting);
        var order = Enumerable.Range(0, files.Count).Reverse().ToArray();
        List<(float[], int[])> Batches(int workers, int epoch)
        {
            var store = new ImageStore(files, new BadFiles(false));
            if (cached) store.Preload(workers);
            var loader = new BatchLoader(store, tf, 5, workers, prefetch: 3, seed: 42);
            return loader.Run(order, epoch)
                .Select(b => (b.Input.AsSpan(0, b.Count * tf.SampleSize).ToArray(), b.Labels[..b.Count])).ToList();
        }
        var one = Batches(1, 1);
        var four = Batches(4, 1);
        Assert.Equal(5, one.Count);
        Assert.Equal(3, one[^1].Item2.Length);
        for (int b = 0; b < one.Count; b++)
        {
            Assert.Equal(one[b].Item1, four[b].Item1);
            Assert.Equal(one[b].Item2, four[b].Item2);
        }
        Assert.NotEqual(one[0].Item1, Batches(4, 2)[0].Item1);   // another epoch, other augmentation
    }
}

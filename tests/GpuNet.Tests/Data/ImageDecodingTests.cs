using System.Buffers.Binary;
using GpuNet.Data;

namespace GpuNet.Tests.Data;

/// <summary>
/// Every format against known pixels (fixtures from <see cref="ImageFixtures"/>), through <see cref="ImageDecoder"/>
/// and, for JPEG, through the SkiaSharp path itself whether or not TurboJPEG is installed; oversized headers refused
/// before pixel memory exists; cut-short files refused.
/// </summary>
public sealed class ImageDecodingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-decode").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static Image Decode(byte[] file) => ImageDecoder.Decode(file, "x");

    private static Image Skia(byte[] file, int minShorterSide = 0) =>
        SkiaDecoder.Decode(file, ImageDecoder.Sniff(file), "x", ImageDecoder.DefaultMaxPixels, null, minShorterSide);

    private static byte[] Rgb(byte[] rgba) => rgba.Where((_, i) => i % 4 != 3).ToArray();

    private static (double Mean, int Max) Error(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0; int max = 0;
        for (int i = 0; i < a.Length; i++) { int d = Math.Abs(a[i] - b[i]); sum += d; max = Math.Max(max, d); }
        return ((double)sum / a.Length, max);
    }

    private static void Same(Image image, int w, int h, int channels, byte[] pixels)
    {
        Assert.Equal((w, h, channels), (image.Width, image.Height, image.Channels));
        Assert.Equal(pixels, image.Pixels);
    }

    /// <summary>
    /// An RGBA picture whose alpha runs over 1…255 (WebP's lossless encoder rewrites the colour of fully transparent
    /// pixels, so none is).
    /// </summary>
    private static byte[] WithAlpha(int w, int h)
    {
        var px = Pictures.Smooth(w, h, 4);
        for (int i = 0; i < w * h; i++) px[4 * i + 3] = (byte)(1 + i * 37 % 255);
        return px;
    }

    [Fact]
    public void PNG_gray_RGB_and_RGBA_decode_exactly_gray_staying_one_channel_and_alpha_dropped()
    {
        var gray = Pictures.Smooth(7, 5, 1);
        Same(Decode(ImageFixtures.Png(7, 5, 1, gray)), 7, 5, 1, gray);
        var rgb = Pictures.Smooth(7, 5);
        Same(Decode(ImageFixtures.Png(7, 5, 3, rgb)), 7, 5, 3, rgb);
        var rgba = WithAlpha(6, 4);
        Same(Decode(ImageFixtures.Png(6, 4, 4, rgba)), 6, 4, 3, Rgb(rgba));   // colours as stored, not premultiplied
    }

    [Fact]
    public void PNG_16_bit_palette_low_bit_depth_and_gray_alpha_decode_to_8_bit_samples()
    {
        // 16-bit RGBA samples 0, ¼, ½, ¾, 1 are scaled (not clipped) to 8 bits
        var quarters = Enumerable.Range(0, 5 * 4).Select(i => i % 5 / 4.0).ToArray();
        var sixteen = ImageFixtures.Png16(5, 1, quarters);
        Assert.Equal(16, sixteen[24]);   // IHDR bit depth
        var eight = quarters.Select(q => (byte)Math.Round(q * 255, MidpointRounding.AwayFromZero)).ToArray();
        Same(Decode(sixteen), 5, 1, 3, Rgb(eight));

        // 16-bit gray 0x0000, 0x8080, 0xFFFF, 0x0101 → 0, 128, 255, 1
        var gray16 = ImageFixtures.PngChunks(4, 1, 0, 16, [0, 0, 0x80, 0x80, 0xFF, 0xFF, 1, 1]);
        Same(Decode(gray16), 4, 1, 1, [0, 128, 255, 1]);
        // 2-bit palette indices 0, 1, 2, 3 in one byte
        byte[] palette = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
        Same(Decode(ImageFixtures.PngChunks(4, 1, 3, 2, [0b00011011], palette)), 4, 1, 3, palette);
        // 1-bit gray 1, 0, 1, 1 → 255, 0, 255, 255
        Same(Decode(ImageFixtures.PngChunks(4, 1, 0, 1, [0b10110000])), 4, 1, 1, [255, 0, 255, 255]);
        // gray + alpha stays gray, alpha dropped; so does gray with a transparent value (tRNS)
        Same(Decode(ImageFixtures.PngChunks(3, 1, 4, 8, [10, 255, 20, 0, 30, 128])), 3, 1, 1, [10, 20, 30]);
        Same(Decode(ImageFixtures.PngChunks(3, 1, 0, 8, [10, 20, 30], transparency: [0, 20])), 3, 1, 1, [10, 20, 30]);
    }

    [Fact]
    public void JPEG_through_SkiaSharp_decodes_to_the_source_gray_stays_gray_and_CMYK_becomes_RGB()
    {
        var src = Pictures.Smooth(45, 31);
        foreach (bool subsample in new[] { true, false })
        {
            var jpeg = ImageFixtures.Jpeg(45, 31, 3, src, 95, subsample);
            foreach (var image in new[] { Skia(jpeg), Decode(jpeg) })   // the SkiaSharp path; whichever path is in use
            {
                Assert.Equal((45, 31, 3), (image.Width, image.Height, image.Channels));
                var (mean, max) = Error(src, image.Pixels);
                string kind = subsample ? "4:2:0" : "4:4:4";
                Assert.True(mean < 2.5 && max < 40, $"{kind}: mean |error| {mean:F2}, max {max}");
            }
        }
        var gray = Pictures.Smooth(20, 10, 1);
        var g = Skia(ImageFixtures.Jpeg(20, 10, 1, gray, 95));
        Assert.Equal(1, g.Channels);
        Assert.True(Error(gray, g.Pixels).Mean < 2);

        foreach (var c in new[] { Skia(ImageFixtures.CmykJpeg), Decode(ImageFixtures.CmykJpeg) })
        {
            Assert.Equal((8, 8, 3), (c.Width, c.Height, c.Channels));
            for (int i = 0; i < 64; i++)
            {
                Assert.InRange(c.Pixels[3 * i], 196, 204); Assert.InRange(c.Pixels[3 * i + 1], 96, 104);
                Assert.InRange(c.Pixels[3 * i + 2], 46, 54);
            }
        }
    }

    [Fact]
    public void WebP_lossless_decodes_exactly_and_lossy_within_tolerance()
    {
        var rgb = Pictures.Smooth(9, 7);
        Same(Decode(ImageFixtures.WebP(9, 7, 3, rgb, lossless: true)), 9, 7, 3, rgb);
        var rgba = WithAlpha(9, 7);
        Same(Decode(ImageFixtures.WebP(9, 7, 4, rgba, lossless: true)), 9, 7, 3, Rgb(rgba));
        var big = Pictures.Smooth(64, 48);
        var lossy = Decode(ImageFixtures.WebP(64, 48, 3, big, lossless: false, quality: 95));
        Assert.Equal((64, 48, 3), (lossy.Width, lossy.Height, lossy.Channels));
        var (mean, max) = Error(big, lossy.Pixels);
        Assert.True(mean < 3 && max < 40, $"mean |error| {mean:F2}, max {max}");
    }

    [Fact]
    public void BMP_decodes_exactly_and_GIF_gives_its_first_frame()
    {
        var rgb = Pictures.Smooth(5, 3);   // 15-byte rows: padded to 16 in the file
        Same(Decode(ImageFixtures.Bmp(5, 3, rgb)), 5, 3, 3, rgb);

        byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199];
        var first = Enumerable.Range(0, 15).Select(i => (byte)(i * 7 % 4)).ToArray();
        var second = first.Select(k => (byte)(3 - k)).ToArray();
        var gif = ImageFixtures.Gif(5, 3, palette, first, second);
        Same(Decode(gif), 5, 3, 3, first.SelectMany(k => palette.Skip(3 * k).Take(3)).ToArray());
    }

    /// <summary>Tiny files whose headers claim far more pixels than --max-pixels allows.</summary>
    public static TheoryData<string, byte[], string> Bombs()
    {
        var png = ImageFixtures.PngChunks(1, 1, 2, 8, [0, 0, 0]);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 20_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 20_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), ImageFixtures.Crc(png.AsSpan(12, 17)));

        var jpeg = ImageFixtures.Jpeg(8, 8, 3, Pictures.Smooth(8, 8));
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 50_000);   // height
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 50_000);   // width

        var webp = ImageFixtures.WebP(8, 8, 3, Pictures.Smooth(8, 8), lossless: true);
        Assert.Equal("VP8L", System.Text.Encoding.ASCII.GetString(webp, 12, 4));
        // after the 0x2F signature byte: 14 bits width − 1, 14 bits height − 1
        uint bits = BinaryPrimitives.ReadUInt32LittleEndian(webp.AsSpan(21));
        BinaryPrimitives.WriteUInt32LittleEndian(webp.AsSpan(21), bits & 0xF000_0000u | 16383u << 14 | 16383u);
        return new()
        {
            { "bomb.png", png, "PNG declares 20000x20000 = 400000000 pixels, over the limit of 100000000" },
            { "bomb.jpg", jpeg, "JPEG declares 50000x50000 = 2500000000 pixels, over the limit" },
            { "bomb.webp", webp, "WebP declares 16384x16384 = 268435456 pixels, over the limit" },
        };
    }

    [Theory]
    [MemberData(nameof(Bombs))]
    public void A_header_claiming_too_many_pixels_is_refused_before_pixel_memory_exists(string name, byte[] file,
        string says)
    {
        Assert.True(file.Length < 400, $"{file.Length} bytes");
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, file);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataException>(() => ImageDecoder.Read(path));
        var skia = Assert.Throws<DataException>(() => Skia(file));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.StartsWith($"{path}: {says}", e.Message);
        Assert.Contains(says, skia.Message);
        Assert.True(allocated < 1 << 20, $"{allocated} bytes allocated refusing {name}");
        // the cache's size estimate reads the same header (and allocates nothing for the pixels either)
        Assert.True(ImageDecoder.TryReadSize(path) > ImageDecoder.DefaultMaxPixels);
    }

    /// <summary>Each format cut short: through the middle of its pixel data, and just before its last bytes.</summary>
    public static TheoryData<string, byte[]> Truncated()
    {
        var png = ImageFixtures.Png(16, 16, 3, Pictures.Smooth(16, 16));
        var jpeg = ImageFixtures.Jpeg(64, 48, 3, Pictures.Smooth(64, 48));
        var lossless = ImageFixtures.WebP(32, 24, 3, Pictures.Smooth(32, 24), lossless: true);
        var lossy = ImageFixtures.WebP(64, 48, 3, Pictures.Smooth(64, 48), lossless: false);
        var bmp = ImageFixtures.Bmp(5, 3, Pictures.Smooth(5, 3));
        var gif = ImageFixtures.Gif(5, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 99, 199], new byte[15]);
        var data = new TheoryData<string, byte[]>();
        foreach (var (name, file, tail) in new[]
        {
            ("png", png, 12), ("jpg", jpeg, 2), ("lossless.webp", lossless, 1), ("lossy.webp", lossy, 1),
            ("bmp", bmp, 1), ("gif", gif, 3),
        })
        {
            data.Add("half." + name, file[..(file.Length / 2)]);
            data.Add("tail." + name, file[..(file.Length - tail)]);   // PNG: its IEND chunk; JPEG: its end marker
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Truncated))]
    public void A_truncated_file_is_an_error_naming_it_not_a_partial_image(string name, byte[] file)
    {
        string kind = ImageDecoder.NameOf(ImageDecoder.Sniff(file));
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(file, name));
        Assert.StartsWith($"{name}: truncated {kind}", e.Message);
        Assert.StartsWith($"{name}: truncated {kind}", Assert.Throws<DataException>(() =>
            SkiaDecoder.Decode(file, ImageDecoder.Sniff(file), name, ImageDecoder.DefaultMaxPixels)).Message);
    }

    [Fact]
    public void Large_JPEGs_decode_at_half_quarter_or_eighth_scale_through_SkiaSharp_as_the_header_size_says()
    {
        string path = Path.Combine(_dir, "big.jpg");
        File.WriteAllBytes(path, ImageFixtures.Jpeg(640, 480, 3, Pictures.Smooth(640, 480), 95));
        var file = File.ReadAllBytes(path);
        foreach (var (min, w, h) in new[]
            { (60, 80, 60), (100, 160, 120), (121, 320, 240), (241, 640, 480), (0, 640, 480) })
        {
            var image = Skia(file, min);
            Assert.Equal((w, h, 3), (image.Width, image.Height, image.Channels));
            Assert.Equal(w * h * 3, ImageDecoder.TryReadSize(path, min));
            var read = ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, min);
            Assert.Equal((w, h), (read.Width, read.Height));
        }
        // other formats decode at full size whatever the loader asks for
        File.WriteAllBytes(path, ImageFixtures.Png(640, 480, 3, Pictures.Smooth(640, 480)));
        var png = ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, 100);
        Assert.Equal((640, 480), (png.Width, png.Height));
        Assert.Equal(640 * 480 * 3, ImageDecoder.TryReadSize(path, 100));
    }

    [Fact]
    public void Decoding_into_a_reused_scratch_gives_the_same_pixels_as_an_exactly_sized_image()
    {
        var scratch = new DecodeScratch();
        // sizes around the four-pixel packing step, growing and shrinking the scratch
        foreach (var (w, h) in new[] { (1, 1), (3, 1), (5, 3), (2, 3), (33, 9), (7, 7), (1, 2) })
        {
            var rgba = WithAlpha(w, h);
            var gray = Pictures.Smooth(w, h, 1);
            foreach (var (file, channels, want) in new[]
            {
                (ImageFixtures.Png(w, h, 4, rgba), 3, Rgb(rgba)),
                (ImageFixtures.WebP(w, h, 4, rgba, lossless: true), 3, Rgb(rgba)),
                (ImageFixtures.Png(w, h, 1, gray), 1, gray),
                (ImageFixtures.PngChunks(w, h, 4, 8, gray.SelectMany(v => new[] { v, (byte)~v }).ToArray()), 1, gray),
            })
            {
                string path = Path.Combine(_dir, "s");
                File.WriteAllBytes(path, file);
                Same(ImageDecoder.Read(path), w, h, channels, want);
                var reused = ImageDecoder.Read(path, ImageDecoder.DefaultMaxPixels, scratch);
                Assert.Equal((w, h, channels), (reused.Width, reused.Height, reused.Channels));
                Assert.Equal(want, reused.Pixels[..want.Length]);
            }
        }
    }

    [Fact]
    public void The_PNG_writer_of_import_idx_round_trips_gray_and_RGB()
    {
        var gray = Pictures.Smooth(28, 28, 1);
        var png = ImageWriter.Png(28, 28, 1, gray);
        Assert.Equal(0, png[25]);   // IHDR colour type: gray
        Same(Decode(png), 28, 28, 1, gray);
        var rgb = Pictures.Smooth(9, 4);
        Same(Decode(ImageWriter.Png(9, 4, 3, rgb)), 9, 4, 3, rgb);
    }

    [Fact]
    public void The_format_is_sniffed_from_the_content_and_anything_else_is_named_in_the_error()
    {
        var rgb = Pictures.Smooth(8, 8);
        File.WriteAllBytes(Path.Combine(_dir, "really-a-png.jpg"), ImageFixtures.Png(8, 8, 3, rgb));
        File.WriteAllBytes(Path.Combine(_dir, "really-a-bmp.webp"), ImageFixtures.Bmp(8, 8, rgb));
        File.WriteAllBytes(Path.Combine(_dir, "really-a-jpeg.png"), ImageFixtures.Jpeg(8, 8, 3, rgb));
        Assert.Equal(3, ImageDecoder.Read(Path.Combine(_dir, "really-a-jpeg.png")).Channels);
        Assert.Equal(rgb, ImageDecoder.Read(Path.Combine(_dir, "really-a-png.jpg")).Pixels);
        Assert.Equal(rgb, ImageDecoder.Read(Path.Combine(_dir, "really-a-bmp.webp")).Pixels);
        Assert.Equal(ImageDecoder.Format.Bmp, ImageDecoder.Sniff(ImageFixtures.Bmp(2, 2, new byte[12])));
        Assert.Equal(ImageDecoder.Format.Gif, ImageDecoder.Sniff(ImageFixtures.Gif(1, 1, new byte[12], [0])));
        Assert.Equal(ImageDecoder.Format.WebP, ImageDecoder.Sniff(ImageFixtures.WebP(1, 1, 3, [1, 2, 3], true)));
        var text = "BMW notes: not a bitmap\n"u8.ToArray();
        var e = Assert.Throws<DataException>(() => ImageDecoder.Decode(text, "t.bmp"));
        Assert.Equal("t.bmp: not a JPEG, PNG, WebP, BMP or GIF image (starts with text \"BMW note\")", e.Message);
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using GpuNet.Data;

namespace GpuNet.Tests.Data;

/// <summary>
/// A bounded, seeded mutation fuzz of the image decoders: small valid files of each format (JPEG baseline, 4:4:4 and
/// progressive, gray and CMYK; PNG RGB, gray, palette and 16-bit; WebP, BMP, GIF) with bits flipped, bytes set,
/// inserted or removed, lengths and sizes rewritten, and the file cut short. Each case must decode to an image of sane
/// dimensions or fail with a <see cref="DataException"/> naming the file, through every path: ImageDecoder (TurboJPEG
/// for JPEGs when installed; CI runs this again with GPUNET_NO_TURBOJPEG=1), SkiaSharp itself, TurboJPEG itself, with
/// and without a scratch and a reduced JPEG scale, and the header-only size estimate. Never another exception, a
/// crash, a hang or an allocation beyond the image the header allows.
/// </summary>
public sealed class DecoderFuzzTests
{
    // the fuzz's --max-pixels: bigger headers must be refused, so no case may allocate more than a few MiB
    private const long MaxPixels = 1 << 16;
    private const string Name = "fuzz/case.img";

    private static IEnumerable<(string Kind, byte[] File)> Seeds()
    {
        var rgb = Pictures.Smooth(16, 12);
        var gray = Pictures.Smooth(16, 12, 1);
        yield return ("jpeg 4:2:0", ImageFixtures.Jpeg(16, 12, 3, rgb));
        yield return ("jpeg 4:4:4", ImageFixtures.Jpeg(16, 12, 3, rgb, subsample: false));
        yield return ("jpeg gray", ImageFixtures.Jpeg(16, 12, 1, gray));
        yield return ("jpeg cmyk", ImageFixtures.CmykJpeg);
        if (TurboJpeg.IsAvailable)
            yield return ("jpeg progressive", TurboJpeg.Encode(16, 12, 3, rgb, progressive: true));
        yield return ("png rgb", ImageFixtures.Png(16, 12, 3, rgb));
        yield return ("png gray", ImageFixtures.Png(16, 12, 1, gray));
        yield return ("png palette", ImageFixtures.PngChunks(4, 2, 3, 2, [0b00011011, 0b11100100],
            [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]));
        yield return ("png 16-bit", ImageFixtures.PngChunks(4, 1, 0, 16, [0, 0, 0x80, 0x80, 0xFF, 0xFF, 1, 1]));
        yield return ("webp lossy", ImageFixtures.WebP(16, 12, 3, rgb, lossless: false));
        yield return ("webp lossless", ImageFixtures.WebP(16, 12, 3, rgb, lossless: true));
        yield return ("bmp", ImageFixtures.Bmp(6, 4, Pictures.Smooth(6, 4)));
        yield return ("gif", ImageFixtures.Gif(5, 3, [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255], new byte[15]));
    }

    // Values that mean something to a decoder: markers, chunk and size fields at their limits.
    private static readonly byte[] Special = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0xD8, 0xD9, 0xDA, 0xC0, 0xC2, 0xC4];

    private static byte[] Mutate(byte[] original, Random rng, int mode)
    {
        var bytes = original.ToList();
        int At() => rng.Next(bytes.Count);
        switch (mode)
        {
            case 0:   // bit flips anywhere
                for (int k = rng.Next(1, 5); k > 0; k--) bytes[At()] ^= (byte)(1 << rng.Next(8));
                break;
            case 1:   // bit flips in the first 64 bytes: signatures, headers, first chunk lengths
                for (int k = rng.Next(1, 3); k > 0; k--)
                    bytes[rng.Next(Math.Min(64, bytes.Count))] ^= (byte)(1 << rng.Next(8));
                break;
            case 2:   // special byte values
                for (int k = rng.Next(1, 4); k > 0; k--) bytes[At()] = Special[rng.Next(Special.Length)];
                break;
            case 3:   // cut short (or to nothing)
                bytes = bytes.Take(rng.Next(bytes.Count)).ToList();
                break;
            case 4:   // random bytes inserted
                bytes.InsertRange(At(), Enumerable.Range(0, rng.Next(1, 17)).Select(_ => (byte)rng.Next(256)));
                break;
            case 5:   // a run of bytes removed
                {
                    int at = At();
                    bytes.RemoveRange(at, Math.Min(rng.Next(1, 17), bytes.Count - at));
                    break;
                }
            case 6:   // a 16- or 32-bit length or size field rewritten (big- or little-endian) with an extreme value
                {
                    uint[] values = [0, 1, 2, 0x7F, 0xFF, 0x100, 0x7FFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                    0xFFFFFFFF, (uint)rng.Next()];
                    uint v = values[rng.Next(values.Length)];
                    int width = rng.Next(2) == 0 ? 2 : 4, at = rng.Next(Math.Max(1, bytes.Count - width));
                    var field = new byte[4];
                    if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(field, v);
                    else BinaryPrimitives.WriteUInt32LittleEndian(field, v);
                    for (int k = 0; k < width && at + k < bytes.Count; k++)
                        bytes[at + k] = field[width == 2 ? k + 2 : k];
                    break;
                }
            case 7:   // a slice of the file repeated (duplicated chunks, segments, scans)
                {
                    int at = At(), n = Math.Min(rng.Next(1, 64), bytes.Count - at);
                    bytes.InsertRange(rng.Next(bytes.Count + 1), bytes.GetRange(at, n));
                    break;
                }
        }
        return bytes.ToArray();
    }

    // Null when the image is sane: dimensions the header could give under the cap, pixels enough for them.
    private static string? Insane(Image im)
    {
        if (im.Width < 1 || im.Height < 1 || (long)im.Width * im.Height > MaxPixels)
            return $"decoded to a {im.Width}x{im.Height} image";
        if (im.Channels is not (1 or 3)) return $"decoded to {im.Channels} channels";
        if (im.Pixels.LongLength < (long)im.Width * im.Height * im.Channels)
            return $"{im.Pixels.Length} pixel bytes for {im.Width}x{im.Height}x{im.Channels}";
        return null;
    }

    /// <summary>Every way a file's bytes are decoded or measured, each a failure message or null.</summary>
    private static IEnumerable<string?> Paths(byte[] file, DecodeScratch scratch)
    {
        var format = ImageDecoder.Sniff(file);
        yield return Try("ImageDecoder", () => ImageDecoder.Decode(file, Name, MaxPixels));
        if (format != ImageDecoder.Format.Unknown)
        {
            yield return Try("SkiaDecoder", () => SkiaDecoder.Decode(file, format, Name, MaxPixels));
            yield return Try("SkiaDecoder with scratch, scale",
                () => SkiaDecoder.Decode(file, format, Name, MaxPixels, scratch, minShorterSide: 4));
            yield return Try("SkiaDecoder.DecodedBytes", () =>
            {
                long? bytes = SkiaDecoder.DecodedBytes(file, format, 0);
                return bytes is null or >= 0 ? null : $"a decoded size of {bytes} bytes";
            });
        }
        if (format == ImageDecoder.Format.Jpeg && TurboJpeg.IsAvailable)
        {
            yield return Try("TurboJpeg", () => TurboJpeg.Decode(file, Name, MaxPixels));
            yield return Try("TurboJpeg with scratch, scale",
                () => TurboJpeg.Decode(file, Name, MaxPixels, scratch: scratch, minShorterSide: 4));
        }
    }

    private static string? Try(string path, Func<Image> decode) => Try(path, () => Insane(decode()));

    private static string? Try(string path, Func<string?> run)
    {
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        string? problem;
        try { problem = run(); }
        catch (DataException e) when (e.Message.StartsWith(Name + ": ", StringComparison.Ordinal)) { problem = null; }
        catch (Exception e) { problem = $"{e.GetType().Name}: {e.Message}"; }
        long mib = (GC.GetAllocatedBytesForCurrentThread() - allocated) >> 20;
        if (problem is null && mib > 4) problem = $"allocated {mib} MiB";
        if (problem is null && clock.Elapsed.TotalSeconds > 1) problem = $"took {clock.Elapsed.TotalSeconds:F1} s";
        return problem is null ? null : $"{path}: {problem}";
    }

    [Fact]
    public void Mutated_images_decode_sanely_or_give_one_data_error_naming_the_file()
    {
        var seeds = Seeds().ToArray();
        var rng = new Random(20261129);
        var scratch = new DecodeScratch();
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        int cases = 0, decoded = 0;
        foreach (var (kind, original) in seeds)
        {
            Assert.Null(Paths(original, scratch).FirstOrDefault(p => p is not null));   // every seed decodes
            for (int i = 0; i < 400; i++, cases++)
            {
                int mode = i % 8;
                var file = Mutate(original, rng, mode);
                foreach (var problem in Paths(file, scratch).OfType<string>())
                    if (failures.Count < 20)
                        failures.Add($"{kind} case {i} (mode {mode}) {problem}; file {Convert.ToHexString(file)}");
                try { ImageDecoder.Decode(file, Name, MaxPixels); decoded++; }
                catch (DataException) { }
            }
        }
        Assert.True(failures.Count == 0,
            $"{failures.Count} failures in {cases} cases:\n" + string.Join("\n", failures));
        // both outcomes occur: about a quarter of the mutants still decode
        Assert.InRange(decoded, cases / 10, cases - cases / 10);
        Assert.True(clock.Elapsed.TotalSeconds < 30, $"{cases} cases took {clock.Elapsed.TotalSeconds:F1} s");
    }
}

using System.Buffers.Binary;

namespace GpuNet.Data;

/// <summary>
/// Decodes an image file by its content, not its extension: PNG, JPEG, WebP, BMP and GIF by their signatures. JPEGs
/// go through libjpeg-turbo's TurboJPEG when libturbojpeg is installed (the fast path); everything else, and JPEGs
/// without it, through SkiaSharp (<see cref="SkiaDecoder"/>), to the same pixels. Anything else, an empty file, or
/// text renamed .jpg, is refused naming the file.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Default decompression-bomb guard: 100 megapixels (ILSVRC-2012's largest photo has about 12).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    /// <summary>Image file formats, as sniffed from the first bytes.</summary>
    public enum Format { Unknown, Png, Jpeg, WebP, Bmp, Gif }

    private const string Known = "a JPEG, PNG, WebP, BMP or GIF image";

    /// <summary>The format whose signature <paramref name="bytes"/> start with.</summary>
    public static Format Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[137, 80, 78, 71, 13, 10, 26, 10])) return Format.Png;
        if (TurboJpeg.HasSignature(bytes)) return Format.Jpeg;
        if (bytes.Length >= 12 && bytes.StartsWith("RIFF"u8) && bytes[8..12].SequenceEqual("WEBP"u8))
            return Format.WebP;
        if (bytes.StartsWith("GIF87a"u8) || bytes.StartsWith("GIF89a"u8)) return Format.Gif;
        // "BM", then after the 14-byte file header the size of a DIB header (so text starting "BM" is no BMP)
        if (bytes.Length >= 18 && bytes.StartsWith("BM"u8)
            && BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]) is 12 or 16 or 40 or 52 or 56 or 64 or 108 or 124)
            return Format.Bmp;
        return Format.Unknown;
    }

    /// <summary>The format's usual name ("PNG", "JPEG", "WebP", "BMP", "GIF").</summary>
    public static string NameOf(Format format) => format switch
    {
        Format.WebP => "WebP",
        Format.Unknown => "image",
        _ => format.ToString().ToUpperInvariant(),
    };

    /// <summary>
    /// Reads and decodes <paramref name="path"/>; IO failures become <see cref="DataException"/>s naming it.
    /// <paramref name="minShorterSide"/> lets JPEGs decode at a reduced scale (see <see cref="JpegScale"/>).
    /// </summary>
    public static Image Read(string path, long maxPixels = DefaultMaxPixels, int minShorterSide = 0) =>
        // pixels exactly sized
        Decode(ReadFile(path, new DecodeScratch()), MessageName(path), maxPixels, null, minShorterSide);

    /// <summary>
    /// Reads and decodes <paramref name="path"/> into <paramref name="scratch"/>'s buffers, allocating nothing once
    /// they
    /// have grown: the returned image's pixels alias the scratch (the array may be longer than Width·Height·Channels)
    /// and stay valid until the next read with the same scratch. For streaming loaders that transform and drop.
    /// <paramref name="minShorterSide"/> lets JPEGs decode at a reduced scale (see <see cref="JpegScale"/>).
    /// </summary>
    public static Image Read(string path, long maxPixels, DecodeScratch scratch, int minShorterSide = 0) =>
        Decode(ReadFile(path, scratch), MessageName(path), maxPixels, scratch, minShorterSide);

    // the file in messages: names that are not UTF-8 with their bytes escaped
    private static string MessageName(string path) => path.Contains('\uFFFD') ? FileNames.Readable(path) : path;

    /// <summary>
    /// <see cref="Read(string, long, DecodeScratch, int)"/> through SkiaSharp even for JPEGs when TurboJPEG is
    /// installed: for comparing the two JPEG paths (the pipeline benchmark).
    /// </summary>
    internal static Image ReadThroughSkia(string path, long maxPixels, DecodeScratch scratch, int minShorterSide = 0)
    {
        var bytes = ReadFile(path, scratch);
        return Sniff(bytes) is var format and not Format.Unknown
            ? SkiaDecoder.Decode(bytes, format, path, maxPixels, scratch, minShorterSide)
            : Decode(bytes, path, maxPixels, scratch, minShorterSide);
    }

    // The file's bytes, in the scratch's file buffer.
    private static ReadOnlySpan<byte> ReadFile(string path, DecodeScratch scratch)
    {
        try
        {
            using var handle = FileNames.OpenRead(path);
            long size = RandomAccess.GetLength(handle);
            if (size > Array.MaxLength) throw new DataException($"{path}: {size} bytes, too large for an image file");
            if (scratch.File.Length < size)
                scratch.File = GC.AllocateUninitializedArray<byte>((int)Math.Max(size, 2L * scratch.File.Length));
            int length = 0;
            while (length < size && RandomAccess.Read(handle, scratch.File.AsSpan(length, (int)size - length), length)
                       is var n and > 0)
                length += n;
            return scratch.File.AsSpan(0, length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException(FileNames.ExistsByBytes(path)
                ? $"{FileNames.Readable(path)}: cannot open a file whose name is not valid UTF-8 ({e.Message})"
                : $"{path}: cannot read ({e.Message})", e);
        }
    }

    /// <summary>Decodes a file's <paramref name="bytes"/>; <paramref name="name"/> is the file in messages.</summary>
    public static Image Decode(byte[] bytes, string name, long maxPixels = DefaultMaxPixels) =>
        Decode(bytes, name, maxPixels, null, 0);

    private static Image Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels, DecodeScratch? scratch,
        int minShorterSide) => Sniff(bytes) switch
        {
            Format.Jpeg when TurboJpeg.IsAvailable =>
                TurboJpeg.Decode(bytes, name, maxPixels, scratch: scratch, minShorterSide: minShorterSide),
            Format.Unknown when bytes.Length == 0 => throw new DataException($"{name}: empty file, expected {Known}"),
            Format.Unknown => throw new DataException($"{name}: not {Known} (starts with {Describe(bytes)})"),
            var format => SkiaDecoder.Decode(bytes, format, name, maxPixels, scratch, minShorterSide),
        };

    /// <summary>
    /// Refuses a <paramref name="width"/> × <paramref name="height"/> image over <paramref name="maxPixels"/>, from
    /// its header, before any pixel memory exists.
    /// </summary>
    internal static void CheckPixels(string name, string kind, int width, int height, long maxPixels)
    {
        if (width <= 0 || height <= 0)
            throw new DataException($"{name}: corrupt {kind} (header gives a {width}x{height} image)");
        if ((long)width * height > maxPixels)
            throw new DataException($"{name}: {kind} declares {width}x{height} = {(long)width * height} pixels, " +
                $"over the limit of {maxPixels} (--max-pixels)");
    }

    /// <summary>
    /// The denominator of the scale a <paramref name="width"/> × <paramref name="height"/> JPEG decodes at: the
    /// smallest of ½, ¼, ⅛ (2, 4, 8) that keeps the shorter side at least <paramref name="minShorterSide"/> (libjpeg
    /// rounds scaled sizes up); 1 (full size) when none does or it is 0. A 4000×3000 photo bound for a 256-pixel resize
    /// decodes as 500×375 in the DCT domain, sixteen times fewer pixels to decode and resample.
    /// </summary>
    public static int JpegScale(int width, int height, int minShorterSide)
    {
        if (minShorterSide > 0)
            foreach (int d in (ReadOnlySpan<int>)[8, 4, 2])
                if (Math.Min((width + d - 1) / d, (height + d - 1) / d) >= minShorterSide) return d;
        return 1;
    }

    /// <summary>
    /// Decoded size in bytes (width × height × channels) read from the file's header, or null if unreadable; JPEGs as
    /// decoded with <paramref name="minShorterSide"/>.
    /// </summary>
    public static long? TryReadSize(string path, int minShorterSide = 0)
    {
        try
        {
            using var fs = new FileStream(FileNames.OpenRead(path), FileAccess.Read);
            var head = new byte[(int)Math.Min(fs.Length, 1 << 16)];
            fs.ReadExactly(head);
            var format = Sniff(head);
            if (format == Format.Unknown) return null;
            // the header usually sits in the first 64 KiB; big EXIF blocks push a JPEG's further
            if (SkiaDecoder.DecodedBytes(head, format, minShorterSide) is { } size) return size;
            return head.Length < fs.Length
                ? SkiaDecoder.DecodedBytes(File.ReadAllBytes(path), format, minShorterSide) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataException) { return null; }
    }

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(8, bytes.Length)];
        bool text = true;
        foreach (byte b in head) text &= b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t';
        return text ? $"text \"{System.Text.Encoding.ASCII.GetString(head).ReplaceLineEndings(" ")}\""
            : $"bytes {Convert.ToHexString(head)}";
    }
}

/// <summary>
/// Reusable buffers for <see cref="ImageDecoder.Read(string, long, DecodeScratch, int)"/>, one per thread. A fresh one
/// sizes its buffers exactly to the first image; later images grow them (doubling) and never shrink them.
/// </summary>
public sealed class DecodeScratch
{
    internal byte[] File = [];
    internal byte[] Pixels = [];

    /// <summary>At least <paramref name="n"/> bytes of pixel memory, grown (never shrunk) as needed.</summary>
    internal byte[] PixelsOf(long n) => Pixels.Length >= n
        ? Pixels
        : Pixels = GC.AllocateUninitializedArray<byte>((int)Math.Max(n, Math.Min(Array.MaxLength, 2L * Pixels.Length)));
}

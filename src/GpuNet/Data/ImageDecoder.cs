namespace GpuNet.Data;

/// <summary>
/// Decodes an image file by its content, not its extension: PNG by its signature (managed codec), JPEG by its
/// start-of-image marker (TurboJPEG). Anything else, an empty file, or text renamed .jpg, is refused naming the file.
/// </summary>
public static class ImageDecoder
{
    /// <summary>Default decompression-bomb guard: 100 megapixels (ILSVRC-2012's largest photo has about 12).</summary>
    public const long DefaultMaxPixels = 100_000_000;

    public enum Format { Unknown, Png, Jpeg }

    public static Format Sniff(ReadOnlySpan<byte> bytes) =>
        Png.HasSignature(bytes) ? Format.Png : TurboJpeg.HasSignature(bytes) ? Format.Jpeg : Format.Unknown;

    /// <summary>
    /// Reads and decodes <paramref name="path"/>; IO failures become <see cref="DataException"/>s naming it.
    /// <paramref name="minShorterSide"/> lets JPEGs decode at a reduced scale (see <see cref="TurboJpeg.Decode"/>).
    /// </summary>
    public static Image Read(string path, long maxPixels = DefaultMaxPixels, int minShorterSide = 0) =>
        Read(path, maxPixels, new DecodeScratch(), minShorterSide);   // a fresh scratch: exactly sized, the image owns it

    /// <summary>
    /// Reads and decodes <paramref name="path"/> into <paramref name="scratch"/>'s buffers, allocating nothing once they
    /// have grown: the returned image's pixels alias the scratch (the array may be longer than Width·Height·Channels)
    /// and stay valid until the next read with the same scratch. For streaming loaders that transform and drop.
    /// <paramref name="minShorterSide"/> lets JPEGs decode at a reduced scale (see <see cref="TurboJpeg.Decode"/>).
    /// </summary>
    public static Image Read(string path, long maxPixels, DecodeScratch scratch, int minShorterSide = 0)
    {
        int length;
        try
        {
            using var handle = File.OpenHandle(path);
            long size = RandomAccess.GetLength(handle);
            if (size > Array.MaxLength) throw new DataException($"{path}: {size} bytes, too large for an image file");
            if (scratch.File.Length < size) scratch.File = GC.AllocateUninitializedArray<byte>((int)Math.Max(size, 2L * scratch.File.Length));
            length = 0;
            while (length < size && RandomAccess.Read(handle, scratch.File.AsSpan(length, (int)size - length), length) is var n and > 0) length += n;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataException($"{path}: cannot read ({e.Message})", e);
        }
        return Decode(scratch.File.AsSpan(0, length), path, maxPixels, scratch, minShorterSide);
    }

    public static Image Decode(byte[] bytes, string name, long maxPixels = DefaultMaxPixels) => Decode(bytes, name, maxPixels, null, 0);

    private static Image Decode(ReadOnlySpan<byte> bytes, string name, long maxPixels, DecodeScratch? scratch, int minShorterSide) => Sniff(bytes) switch
    {
        Format.Png => Png.Decode(bytes.ToArray(), name, maxPixels),
        Format.Jpeg => TurboJpeg.Decode(bytes, name, maxPixels, scratch: scratch, minShorterSide: minShorterSide),
        _ when bytes.Length == 0 => throw new DataException($"{name}: empty file, expected a JPEG or PNG image"),
        _ => throw new DataException($"{name}: not a JPEG or PNG image (starts with {Describe(bytes)})"),
    };

    /// <summary>
    /// Decoded size in bytes (width × height × channels) read from the file's header, or null if unreadable; JPEGs as
    /// decoded with <paramref name="minShorterSide"/>.
    /// </summary>
    public static long? TryReadSize(string path, int minShorterSide = 0)
    {
        try
        {
            using var fs = File.OpenRead(path);
            var head = new byte[(int)Math.Min(fs.Length, 1 << 16)];
            fs.ReadExactly(head);
            switch (Sniff(head))
            {
                case Format.Png when head.Length >= 26:
                    long w = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(16)), h = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(20));
                    return w * h * (head[25] is 0 or 4 ? 1 : 3);
                case Format.Jpeg when TurboJpeg.IsAvailable:
                    // the frame header usually sits in the first 64 KiB; big EXIF blocks push it further
                    (int jw, int jh, bool gray) = (0, 0, false);
                    try { (jw, jh, gray) = TurboJpeg.ReadHeader(head, path); }
                    catch (DataException) when (head.Length < fs.Length) { (jw, jh, gray) = TurboJpeg.ReadHeader(File.ReadAllBytes(path), path); }
                    (jw, jh) = TurboJpeg.ScaledSize(jw, jh, minShorterSide);
                    return (long)jw * jh * (gray ? 1 : 3);
                default: return null;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DataException) { return null; }
    }

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var head = bytes[..Math.Min(8, bytes.Length)];
        bool text = true;
        foreach (byte b in head) text &= b is >= 0x20 and < 0x7F or (byte)'\n' or (byte)'\r' or (byte)'\t';
        return text ? $"text \"{System.Text.Encoding.ASCII.GetString(head).ReplaceLineEndings(" ")}\"" : $"bytes {Convert.ToHexString(head)}";
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
    internal byte[] PixelsOf(long n) =>
        Pixels.Length >= n ? Pixels : Pixels = GC.AllocateUninitializedArray<byte>((int)Math.Max(n, Math.Min(Array.MaxLength, 2L * Pixels.Length)));
}

using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace GpuNet.Tests.Data;

/// <summary>
/// Test images with known pixels, written with SkiaSharp's encoders (JPEG, PNG, WebP) and, for what Skia cannot write,
/// by small writers here: PNG chunks (palette, gray+alpha, 16-bit gray, low bit depths), BMP and GIF. None of them is
/// the decoder under test. Pixels are interleaved rows of 1 (gray), 3 (RGB) or 4 (RGBA) channels.
/// </summary>
internal static unsafe class ImageFixtures
{
    public static byte[] Jpeg(int w, int h, int channels, byte[] px, int quality = 90, bool subsample = true) =>
        Encode(w, h, channels, px, p => p.Encode(new SKJpegEncoderOptions(quality,
            subsample ? SKJpegEncoderDownsample.Downsample420 : SKJpegEncoderDownsample.Downsample444,
            SKJpegEncoderAlphaOption.Ignore)));

    public static byte[] Png(int w, int h, int channels, byte[] px) =>
        Encode(w, h, channels, px, p => p.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6)));

    /// <summary>A 16-bit RGBA PNG from samples in [0, 1] (Skia writes half floats as 16-bit PNG samples).</summary>
    public static byte[] Png16(int w, int h, double[] rgba)
    {
        var half = rgba.Select(v => (Half)v).ToArray();
        fixed (Half* p = half)
        {
            using var pixmap = new SKPixmap(new SKImageInfo(w, h, SKColorType.RgbaF16, SKAlphaType.Unpremul), (nint)p);
            using var data = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6));
            return data!.ToArray();
        }
    }

    public static byte[] WebP(int w, int h, int channels, byte[] px, bool lossless, int quality = 90) =>
        Encode(w, h, channels, px, p => p.Encode(new SKWebpEncoderOptions(
            lossless ? SKWebpEncoderCompression.Lossless : SKWebpEncoderCompression.Lossy, quality)));

    // gray as Gray8, RGB as opaque RGBA, RGBA unpremultiplied
    private static byte[] Encode(int w, int h, int channels, byte[] px, Func<SKPixmap, SKData?> encode)
    {
        var src = channels != 3 ? px : Enumerable.Range(0, w * h)
            .SelectMany(i => new[] { px[3 * i], px[3 * i + 1], px[3 * i + 2], (byte)255 }).ToArray();
        var info = new SKImageInfo(w, h, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888,
            channels switch { 1 or 3 => SKAlphaType.Opaque, _ => SKAlphaType.Unpremul });
        fixed (byte* p = src)
        {
            using var pixmap = new SKPixmap(info, (nint)p);
            using var data = encode(pixmap)
                ?? throw new InvalidOperationException($"SkiaSharp wrote no image for {w}x{h}x{channels}");
            return data.ToArray();
        }
    }

    /// <summary>
    /// A PNG of any colour type and bit depth from unfiltered rows (<paramref name="raw"/>: each row's bytes, packed
    /// as the PNG stores them) and optional tRNS chunk, with a CRC over each chunk: for the kinds Skia's encoder does
    /// not write.
    /// </summary>
    public static byte[] PngChunks(int w, int h, int colorType, int depth, byte[] raw, byte[]? palette = null,
        byte[]? transparency = null)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        (ihdr[8], ihdr[9]) = ((byte)depth, (byte)colorType);
        Chunk(ms, "IHDR", ihdr);
        if (palette is not null) Chunk(ms, "PLTE", palette);
        if (transparency is not null) Chunk(ms, "tRNS", transparency);
        int stride = raw.Length / h;
        var filtered = new byte[h * (stride + 1)];   // filter type 0 (none) on every row
        for (int y = 0; y < h; y++) raw.AsSpan(y * stride, stride).CopyTo(filtered.AsSpan(y * (stride + 1) + 1));
        using (var z = new MemoryStream())
        {
            using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(filtered);
            Chunk(ms, "IDAT", z.ToArray());
        }
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var b = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(b, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, b.AsSpan(4));
        data.CopyTo(b, 8);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8 + data.Length), Crc(b.AsSpan(4, 4 + data.Length)));
        s.Write(b);
    }

    /// <summary>Bitwise CRC-32 as PNG uses it.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    /// <summary>A 24-bit BMP (bottom-up rows of BGR, each padded to 4 bytes) from RGB pixels.</summary>
    public static byte[] Bmp(int w, int h, byte[] rgb)
    {
        int stride = (w * 3 + 3) & ~3, size = 54 + stride * h;
        var b = new byte[size];
        "BM"u8.CopyTo(b);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(2), size);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(10), 54);        // pixel data offset
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(14), 40);        // BITMAPINFOHEADER
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), w);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(22), h);
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(26), 1);         // planes
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(28), 24);        // bits per pixel
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(34), stride * h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) b[54 + (h - 1 - y) * stride + 3 * x + c] = rgb[(y * w + x) * 3 + 2 - c];
        return b;
    }

    /// <summary>
    /// A GIF with a four-colour global palette (<paramref name="palette"/>: 12 bytes of RGB) and one frame per index
    /// array, each covering the whole image. The LZW stream sends a clear code before every second pixel, so the
    /// code table never grows and every code stays 3 bits.
    /// </summary>
    public static byte[] Gif(int w, int h, byte[] palette, params byte[][] frames)
    {
        using var ms = new MemoryStream();
        ms.Write("GIF89a"u8);
        var screen = new byte[7];
        BinaryPrimitives.WriteUInt16LittleEndian(screen, (ushort)w);
        BinaryPrimitives.WriteUInt16LittleEndian(screen.AsSpan(2), (ushort)h);
        screen[4] = 0x80 | 0x01;   // global colour table of 2^(1+1) entries
        ms.Write(screen);
        ms.Write(palette);
        foreach (var indices in frames)
        {
            var descriptor = new byte[10];
            descriptor[0] = 0x2C;
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor.AsSpan(5), (ushort)w);
            BinaryPrimitives.WriteUInt16LittleEndian(descriptor.AsSpan(7), (ushort)h);
            ms.Write(descriptor);
            ms.WriteByte(2);   // minimum code size: clear = 4, end = 5
            var codes = new List<int>();
            for (int i = 0; i < indices.Length; i++) { if (i % 2 == 0) codes.Add(4); codes.Add(indices[i]); }
            codes.Add(5);
            var bytes = new List<byte>();
            int acc = 0, bits = 0;
            foreach (int code in codes)
            {
                acc |= code << bits; bits += 3;
                while (bits >= 8) { bytes.Add((byte)acc); acc >>= 8; bits -= 8; }
            }
            if (bits > 0) bytes.Add((byte)acc);
            for (int i = 0; i < bytes.Count; i += 255)
            {
                int n = Math.Min(255, bytes.Count - i);
                ms.WriteByte((byte)n);
                ms.Write(bytes.GetRange(i, n).ToArray());
            }
            ms.WriteByte(0);
        }
        ms.WriteByte(0x3B);
        return ms.ToArray();
    }

    /// <summary>
    /// An 8×8 Adobe-style (inverted) CMYK JPEG, flat C=200, M=100, Y=50, K=255 (no black ink), so RGB = C·K/255, ... =
    /// (200, 100, 50). Neither Skia nor this test writes CMYK: these bytes are libjpeg-turbo's tjCompress2 output
    /// (TJPF_CMYK, 4:4:4, quality 95, libturbojpeg0 2.1.5), stored as they came.
    /// </summary>
    public static readonly byte[] CmykJpeg = Convert.FromBase64String(
        "/9j/7gAOQWRvYmUAZAAAAAAC/9sAQwACAQEBAQECAQEBAgICAgIEAwICAgIFBAQDBAYFBgYGBQYGBgcJCAYHCQcGBggLCAkKCgoKCgYICwwL" +
        "CgwJCgoK/9sAQwECAgICAgIFAwMFCgcGBwoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoK/8AAFAgA" +
        "CAAIBAERAAIRAQMRAQQRAP/EAB8AAAEFAQEBAQEBAAAAAAAAAAABAgMEBQYHCAkKC//EALUQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFB" +
        "BhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SF" +
        "hoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+v/EAB8BAAMBAQEB" +
        "AQEBAQEAAAAAAAABAgMEBQYHCAkKC//EALURAAIBAgQEAwQHBQQEAAECdwABAgMRBAUhMQYSQVEHYXETIjKBCBRCkaGxwQkjM1LwFWJy0QoW" +
        "JDThJfEXGBkaJicoKSo1Njc4OTpDREVGR0hJSlNUVVZXWFlaY2RlZmdoaWpzdHV2d3h5eoKDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKz" +
        "tLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uLj5OXm5+jp6vLz9PX29/j5+v/aAA4EAQACEQMRBAAAPwC5X9UH8Tn7+V//2Q==");
}

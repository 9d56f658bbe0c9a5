using System.Buffers.Binary;
using System.IO.Compression;

namespace GpuNet.Data;

/// <summary>A decoded image: interleaved 8-bit samples, row-major (H, W, Channels), channels 1 (gray) or 3 (RGB).</summary>
public sealed record Image(int Width, int Height, int Channels, byte[] Pixels);

/// <summary>
/// Managed PNG codec on the framework's zlib: reads 8- and 16-bit gray, gray+alpha, RGB, RGBA and palette images
/// (1/2/4/8-bit), non-interlaced; alpha is dropped and 16-bit samples are scaled (not clipped) to 8 bits. Chunk CRCs
/// are checked, so truncated or corrupt files fail with a message naming the file and the problem.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];
    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.Length >= 8 && bytes[..8].SequenceEqual(Signature);

    /// <summary>
    /// Decodes a PNG. <paramref name="maxPixels"/> guards against decompression bombs: a larger declared size is refused
    /// before any pixel memory is allocated.
    /// </summary>
    public static Image Decode(byte[] file, string name = "<memory>", long maxPixels = ImageDecoder.DefaultMaxPixels)
    {
        if (!HasSignature(file))
            throw new DataException(file.Length == 0 ? $"{name}: empty file, expected a PNG image" : $"{name}: not a PNG image (no PNG signature)");
        int pos = 8, width = 0, height = 0, depth = 0, colorType = -1;
        byte[]? palette = null;
        using var idat = new MemoryStream();
        bool end = false;
        while (!end)
        {
            if (pos + 12 > file.Length) throw new DataException($"{name}: truncated PNG (file ends inside a chunk header at byte {pos})");
            int len = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            if (len < 0 || pos + 12L + len > file.Length) throw new DataException($"{name}: truncated PNG (a chunk of {len} bytes runs past the end of the {file.Length}-byte file)");
            var type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var data = file.AsSpan(pos + 8, len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos + 8 + len));
            if (Crc32.Compute(file.AsSpan(pos + 4, len + 4)) != crc) throw new DataException($"{name}: corrupt PNG (CRC mismatch in chunk {type})");
            switch (type)
            {
                case "IHDR":
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    depth = data[8]; colorType = data[9];
                    if (data[12] != 0) throw new DataException($"{name}: interlaced PNG is not supported; save it non-interlaced");
                    if (width <= 0 || height <= 0) throw new DataException($"{name}: PNG declares a {width}x{height} image");
                    if ((long)width * height > maxPixels)
                        throw new DataException($"{name}: PNG declares {width}x{height} = {(long)width * height} pixels, over the limit of {maxPixels} (--max-pixels)");
                    if (colorType is not (0 or 2 or 3 or 4 or 6) || depth is not (1 or 2 or 4 or 8 or 16) || (colorType is 2 or 4 or 6 && depth < 8) || (colorType == 3 && depth == 16))
                        throw new DataException($"{name}: unsupported PNG colour type {colorType} with bit depth {depth}");
                    break;
                case "PLTE": palette = data.ToArray(); break;
                case "IDAT": idat.Write(data); break;
                case "IEND": end = true; break;
            }
            pos += 12 + len;
        }
        if (colorType < 0) throw new DataException($"{name}: PNG has no IHDR chunk");
        if (colorType == 3 && palette is null) throw new DataException($"{name}: palette PNG without a PLTE chunk");

        int samples = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int bitsPerPixel = samples * depth, stride = (width * bitsPerPixel + 7) / 8, bpp = Math.Max(1, bitsPerPixel / 8);
        var raw = new byte[(long)height * (stride + 1)];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int read = 0, n;
            while (read < raw.Length && (n = z.Read(raw, read, raw.Length - read)) > 0) read += n;
            if (read < raw.Length) throw new DataException($"{name}: truncated PNG (image data ends after {read} of {raw.Length} bytes)");
        }
        catch (InvalidDataException e) { throw new DataException($"{name}: corrupt PNG image data ({e.Message})", e); }

        Unfilter(raw, height, stride, bpp, name);
        int outChannels = colorType is 0 or 4 ? 1 : 3;
        var pixels = new byte[(long)width * height * outChannels];
        for (int y = 0; y < height; y++)
        {
            var row = raw.AsSpan(y * (stride + 1) + 1, stride);
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * outChannels;
                if (colorType == 3)
                {
                    int idx = Sample(row, x, depth);
                    if (idx * 3 + 2 >= palette!.Length) throw new DataException($"{name}: palette index {idx} outside a {palette.Length / 3}-entry palette");
                    pixels[o] = palette[idx * 3]; pixels[o + 1] = palette[idx * 3 + 1]; pixels[o + 2] = palette[idx * 3 + 2];
                }
                else
                    for (int c = 0; c < outChannels; c++) pixels[o + c] = Eight(row, x * samples + c, depth);
            }
        }
        return new Image(width, height, outChannels, pixels);
    }

    // Sample i of a row as 8 bits: sub-byte gray scaled up (×255/(2^d−1)), 16-bit rounded down to 8 bits by value.
    private static byte Eight(ReadOnlySpan<byte> row, int i, int depth) => depth switch
    {
        8 => row[i],
        16 => (byte)((BinaryPrimitives.ReadUInt16BigEndian(row[(2 * i)..]) * 255 + 32767) / 65535),
        _ => (byte)(Sample(row, i, depth) * 255 / ((1 << depth) - 1)),
    };

    private static int Sample(ReadOnlySpan<byte> row, int i, int depth)
    {
        if (depth == 8) return row[i];
        int bit = i * depth;
        return (row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
    }

    private static void Unfilter(byte[] raw, int height, int stride, int bpp, string name)
    {
        for (int y = 0; y < height; y++)
        {
            int start = y * (stride + 1);
            byte filter = raw[start];
            var cur = raw.AsSpan(start + 1, stride);
            var prev = y > 0 ? raw.AsSpan(start - stride, stride) : default;
            for (int i = 0; i < stride; i++)
            {
                int a = i >= bpp ? cur[i - bpp] : 0, b = y > 0 ? prev[i] : 0, c = y > 0 && i >= bpp ? prev[i - bpp] : 0;
                cur[i] += filter switch
                {
                    0 => 0,
                    1 => (byte)a,
                    2 => (byte)b,
                    3 => (byte)((a + b) / 2),
                    4 => (byte)Paeth(a, b, c),
                    _ => throw new DataException($"{name}: corrupt PNG (unknown row filter {filter} on row {y})"),
                };
            }
        }
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>Encodes 8-bit gray (channels 1) or RGB (channels 3) pixels, interleaved row-major.</summary>
    public static byte[] Encode(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"PNG writer takes 1 or 3 channels, got {channels}");
        if (pixels.Length != width * height * channels) throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height}x{channels} image");
        using var ms = new MemoryStream();
        ms.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = 8; ihdr[9] = (byte)(channels == 1 ? 0 : 2);
        WriteChunk(ms, "IHDR", ihdr);
        int stride = width * channels;
        var filtered = new byte[height * (stride + 1)];
        for (int y = 0; y < height; y++) pixels.Slice(y * stride, stride).CopyTo(filtered.AsSpan(y * (stride + 1) + 1));
        using (var zbuf = new MemoryStream())
        {
            using (var z = new ZLibStream(zbuf, CompressionLevel.Optimal, leaveOpen: true)) z.Write(filtered);
            WriteChunk(ms, "IDAT", zbuf.ToArray());
        }
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(head, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, head[4..]);
        s.Write(head);
        s.Write(data);
        var typed = new byte[4 + data.Length];
        head[4..].CopyTo(typed); data.CopyTo(typed.AsSpan(4));
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.Compute(typed));
        s.Write(crc);
    }
}

/// <summary>CRC-32 (ISO-HDLC, the one PNG and zlib use).</summary>
internal static class Crc32
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFFu;
        foreach (byte b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c ^ 0xFFFFFFFFu;
    }
}

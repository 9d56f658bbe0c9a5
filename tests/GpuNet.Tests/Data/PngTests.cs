using System.Buffers.Binary;
using System.IO.Compression;
using GpuNet.Data;

namespace GpuNet.Tests.Data;

public sealed class PngTests
{
    /// <summary>
    /// An independent little PNG writer for fixtures: any colour type and bit depth, every row filter type, so the
    /// reader's unfiltering and sample unpacking are checked against images built another way.
    /// </summary>
    private static byte[] BuildPng(int w, int h, int colorType, int depth, byte[][] rawRows, byte[]? palette = null, bool cycleFilters = true)
    {
        int bpp = Math.Max(1, (colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 }) * depth / 8);
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        void Chunk(string type, byte[] data)
        {
            var len = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length); ms.Write(len);
            var td = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
            ms.Write(td);
            var crc = new byte[4]; BinaryPrimitives.WriteUInt32BigEndian(crc, Crc(td)); ms.Write(crc);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)w); BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)h);
        ihdr[8] = (byte)depth; ihdr[9] = (byte)colorType;
        Chunk("IHDR", ihdr);
        if (palette is not null) Chunk("PLTE", palette);
        var filtered = new List<byte>();
        byte[] prev = new byte[rawRows[0].Length];
        for (int y = 0; y < h; y++)
        {
            var row = rawRows[y];
            int f = cycleFilters ? y % 5 : 0;
            filtered.Add((byte)f);
            for (int i = 0; i < row.Length; i++)
            {
                int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                int pred = f switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => PaethRef(a, b, c) };
                filtered.Add((byte)(row[i] - pred));
            }
            prev = row;
        }
        using (var z = new MemoryStream())
        {
            using (var zs = new ZLibStream(z, CompressionLevel.Fastest, true)) zs.Write(filtered.ToArray());
            Chunk("IDAT", z.ToArray());
        }
        Chunk("IEND", []);
        return ms.ToArray();
    }

    private static int PaethRef(int a, int b, int c)
    {
        int p = a + b - c;
        int[] d = [Math.Abs(p - a), Math.Abs(p - b), Math.Abs(p - c)];
        return d[0] <= d[1] && d[0] <= d[2] ? a : d[1] <= d[2] ? b : c;
    }

    /// <summary>Bitwise CRC-32 (no table), independent of the reader's.</summary>
    private static uint Crc(byte[] data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (uint)-(int)(c & 1));
        }
        return ~c;
    }

    [Fact]
    public void Gray_and_rgb_round_trip_through_the_writer()
    {
        var gray = Enumerable.Range(0, 7 * 5).Select(i => (byte)(i * 7)).ToArray();
        var img = Png.Decode(Png.Encode(7, 5, 1, gray));
        Assert.Equal((7, 5, 1), (img.Width, img.Height, img.Channels));
        Assert.Equal(gray, img.Pixels);
        var rgb = Enumerable.Range(0, 3 * 4 * 3).Select(i => (byte)(255 - i * 5)).ToArray();
        Assert.Equal(rgb, Png.Decode(Png.Encode(3, 4, 3, rgb)).Pixels);
    }

    [Fact]
    public void Every_filter_type_rgba_drops_alpha()
    {
        int w = 4, h = 6;
        var rows = Enumerable.Range(0, h).Select(y => Enumerable.Range(0, w * 4).Select(i => (byte)(y * 31 + i * 13)).ToArray()).ToArray();
        var img = Png.Decode(BuildPng(w, h, 6, 8, rows));
        Assert.Equal(3, img.Channels);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++)
            Assert.Equal(rows[y][x * 4 + c], img.Pixels[(y * w + x) * 3 + c]);
    }

    [Fact]
    public void Sixteen_bit_gray_is_scaled_not_clipped()
    {
        // samples 0x0000, 0x8080, 0xFFFF, 0x0101 → 0, 128, 255, 1
        byte[][] rows = [[0x00, 0x00, 0x80, 0x80, 0xFF, 0xFF, 0x01, 0x01]];
        Assert.Equal(new byte[] { 0, 128, 255, 1 }, Png.Decode(BuildPng(4, 1, 0, 16, rows)).Pixels);
    }

    [Fact]
    public void Palette_and_low_bit_depths_expand()
    {
        byte[] palette = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120];
        // 2-bit palette indices 0,1,2,3 packed in one byte: 00 01 10 11
        var img = Png.Decode(BuildPng(4, 1, 3, 2, [[0b00011011]], palette, cycleFilters: false));
        Assert.Equal(palette, img.Pixels);
        // 1-bit gray 1,0,1,1 → 255,0,255,255
        Assert.Equal(new byte[] { 255, 0, 255, 255 }, Png.Decode(BuildPng(4, 1, 0, 1, [[0b10110000]], cycleFilters: false)).Pixels);
    }

    [Fact]
    public void Bad_files_are_clear_errors_naming_the_file()
    {
        var good = Png.Encode(8, 8, 1, new byte[64]);
        Assert.Contains("x.png: truncated PNG", Assert.Throws<DataException>(() => Png.Decode(good[..(good.Length - 20)], "x.png")).Message);
        Assert.Contains("x.png: empty file", Assert.Throws<DataException>(() => Png.Decode([], "x.png")).Message);
        Assert.Contains("not a PNG", Assert.Throws<DataException>(() => Png.Decode("hello world"u8.ToArray(), "x.png")).Message);
        var corrupt = (byte[])good.Clone(); corrupt[40] ^= 0xFF;
        Assert.Contains("CRC", Assert.Throws<DataException>(() => Png.Decode(corrupt, "x.png")).Message);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_before_allocating()
    {
        // a tiny file that declares 50,000 x 50,000 pixels
        var bomb = BuildPng(1, 1, 0, 8, [[0]]);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(16), 50_000);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(20), 50_000);
        BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(29), Crc(bomb.AsSpan(12, 17).ToArray()));
        Assert.Contains("over the limit", Assert.Throws<DataException>(() => Png.Decode(bomb, "bomb.png")).Message);
    }
}

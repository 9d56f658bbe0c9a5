using System.Buffers.Binary;

namespace GpuNet.Data;

/// <summary>
/// Reader for the IDX format of the original MNIST files (LeCun): a big-endian magic 0x00000801 (labels, u8) or
/// 0x00000803 (images, u8, rows × cols), dimension sizes, then the raw bytes.
/// </summary>
public static class Idx
{
    public static byte[] ReadLabels(string path)
    {
        var (dims, data) = Read(path, 1);
        return data.Length == dims[0] ? data
            : throw new DataException($"{path}: header says {dims[0]} labels, file holds {data.Length}");
    }

    /// <summary>Images as (count, rows, cols, pixels) with pixels row-major per image.</summary>
    public static (int Count, int Rows, int Cols, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, 3);
        return (dims[0], dims[1], dims[2], data);
    }

    private static (int[] Dims, byte[] Data) Read(string path, int rank)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: no such IDX file");
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
            throw new DataException($"{path}: gzip-compressed; unpack it first (gunzip)");
        if (bytes.Length < 4 + 4 * rank)
            throw new DataException($"{path}: {bytes.Length} bytes is too short for an IDX header");
        uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint expected = 0x800u | (uint)rank;
        if (magic != expected)
            throw new DataException(
                $"{path}: IDX magic 0x{magic:x8}, expected 0x{expected:x8} (unsigned bytes, {rank} " +
                $"dimension{(rank > 1 ? "s" : "")})");
        var dims = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            dims[i] = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            total *= dims[i];
        }
        int header = 4 + 4 * rank;
        if (bytes.Length - header != total)
            throw new DataException(
                $"{path}: header declares {string.Join("x", dims)} = {total} bytes of data, file holds " +
                $"{bytes.Length - header} (truncated or wrong file)");
        return (dims, bytes[header..]);
    }
}

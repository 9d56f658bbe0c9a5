using System.Buffers.Binary;
using GpuNet.Data;

namespace GpuNet.Tests.Data;

public sealed class IdxAndFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-data").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string WriteIdx(string name, uint magic, int[] dims, byte[] data)
    {
        var bytes = new byte[4 + 4 * dims.Length + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), (uint)dims[i]);
        data.CopyTo(bytes, 4 + 4 * dims.Length);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Idx_images_and_labels_read_back()
    {
        var pixels = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        var (count, rows, cols, data) = Idx.ReadImages(WriteIdx("img", 0x803, [2, 3, 4], pixels));
        Assert.Equal((2, 3, 4), (count, rows, cols));
        Assert.Equal(pixels, data);
        Assert.Equal(new byte[] { 7, 1 }, Idx.ReadLabels(WriteIdx("lab", 0x801, [2], [7, 1])));
    }

    [Fact]
    public void Idx_errors_say_what_is_wrong()
    {
        Assert.Contains("truncated",
            Assert.Throws<DataException>(() => Idx.ReadImages(WriteIdx("t", 0x803, [2, 3, 4], new byte[10]))).Message);
        Assert.Contains("magic",
            Assert.Throws<DataException>(() => Idx.ReadImages(WriteIdx("m", 0x801, [2, 3, 4], new byte[24]))).Message);
        Assert.Contains("no such IDX file",
            Assert.Throws<DataException>(() => Idx.ReadLabels(Path.Combine(_dir, "none"))).Message);
    }

    private void Png(string rel, byte value, int size = 4)
    {
        string path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ImageFixtures.Png(size, size, 1, Enumerable.Repeat(value, size * size).ToArray()));
    }

    [Fact]
    public void Folder_loads_sorted_classes_ignores_hidden_entries_and_skips_bad_files_with_a_count()
    {
        Png("set/b/1.png", 10); Png("set/b/2.png", 20); Png("set/a/1.png", 30);
        Directory.CreateDirectory(Path.Combine(_dir, "set/.git"));
        File.WriteAllText(Path.Combine(_dir, "set/a/.DS_Store"), "x");
        File.WriteAllText(Path.Combine(_dir, "set/a/notes.txt"), "not an image");
        var good = ImageFixtures.Png(4, 4, 1, new byte[16]);
        File.WriteAllBytes(Path.Combine(_dir, "set/b/cut.png"), good[..30]);
        Png("set/b/big.png", 1, size: 6);

        var skipped = new List<string>();
        var set = ImageFolder.Load(Path.Combine(_dir, "set"), null, strict: false, skipped);
        Assert.Equal(["a", "b"], set.Classes);
        Assert.Equal(3, set.Count);
        Assert.Equal([0, 1, 1], set.Labels);
        Assert.Equal(30, set.ImageAt(0)[0]);
        Assert.Equal(3, skipped.Count);
        Assert.Contains(skipped, s => s.Contains("notes.txt") && s.Contains("not a JPEG, PNG, WebP, BMP or GIF"));
        Assert.Contains(skipped, s => s.Contains("cut.png") && s.Contains("truncated"));
        Assert.Contains(skipped, s => s.Contains("big.png") && s.Contains("6x6"));

        var e = Assert.Throws<DataException>(() => ImageFolder.Load(Path.Combine(_dir, "set"), null, strict: true, []));
        Assert.Contains("notes.txt", e.Message);
    }

    [Fact]
    public void Folder_errors_name_the_path()
    {
        Assert.Contains("does not exist", Assert.Throws<DataException>(() =>
            ImageFolder.Load(Path.Combine(_dir, "missing"), null, false, [])).Message);
        Directory.CreateDirectory(Path.Combine(_dir, "empty"));
        Assert.Contains("no class folders",
            Assert.Throws<DataException>(() => ImageFolder.Load(Path.Combine(_dir, "empty"), null, false, [])).Message);
        Png("holes/a/1.png", 1);
        Directory.CreateDirectory(Path.Combine(_dir, "holes/b"));
        Directory.CreateDirectory(Path.Combine(_dir, "holes/c"));
        var e = Assert.Throws<DataException>(() => ImageFolder.Load(Path.Combine(_dir, "holes"), null, false, []));
        Assert.Contains("holes/b", e.Message); Assert.Contains("holes/c", e.Message);
        Assert.Contains("not among the model's classes", Assert.Throws<DataException>(() =>
            ImageFolder.Load(Path.Combine(_dir, "holes"), ["a"], false, [])).Message);
    }

    [Fact]
    public void Smaller_images_are_centred_on_a_black_border_and_normalised()
    {
        var tf = new Transform([], [1, 4, 4], [0.5f], [0.25f]);
        var dst = new float[16];
        tf.Apply(new Image(2, 2, 1, [0, 255, 51, 102]), dst, new Rng(1));
        float pad = (0 - 0.5f) / 0.25f;
        Assert.Equal(pad, dst[0]);
        Assert.Equal((1f - 0.5f) / 0.25f, dst[6], 1e-6);       // (1, 2) holds pixel 255
        Assert.Equal((0.2f - 0.5f) / 0.25f, dst[9], 1e-6);     // (2, 1) holds pixel 51
    }
}

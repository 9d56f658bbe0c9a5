using System.Runtime.InteropServices;
using GpuNet.Data;

namespace GpuNet.Tests.Data;

/// <summary>
/// Names that are not valid UTF-8 (a folder made with <c>mkdir $'\xff'</c>): .NET lists them with U+FFFD and cannot
/// open what it listed. Image files with such names are read by their bytes; two that .NET cannot tell apart are
/// skipped as unreadable, named with their bytes escaped; a class folder with such a name is one error naming it.
/// </summary>
public sealed partial class FileNameTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-names").FullName;
    // Directory.Delete cannot remove what .NET cannot name
    public void Dispose() => System.Diagnostics.Process.Start("rm", ["-rf", _dir]).WaitForExit();

    [LibraryImport("libc.so.6", EntryPoint = "rename", SetLastError = true)]
    private static partial int Rename(byte[] from, byte[] to);

    // Moves DIR/from to DIR/<to's bytes>, a name .NET cannot write
    private void MoveTo(string from, byte[] to)
    {
        byte[] Bytes(string s) => [.. System.Text.Encoding.UTF8.GetBytes(s), 0];
        byte[] target = [.. Bytes(Path.Combine(_dir, Path.GetDirectoryName(from)!) + "/")[..^1], .. to, 0];
        Assert.True(Rename(Bytes(Path.Combine(_dir, from)), target) == 0,
            $"rename: errno {Marshal.GetLastPInvokeError()}");
    }

    private void Png(string rel, byte value)
    {
        string path = Path.Combine(_dir, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ImageFixtures.Png(4, 4, 1, Enumerable.Repeat(value, 16).ToArray()));
    }

    [Fact]
    public void An_image_whose_name_is_not_UTF8_is_read_by_its_bytes()
    {
        if (!OperatingSystem.IsLinux()) return;
        Png("set/a/1.png", 10); Png("set/a/x.png", 20); Png("set/b/2.png", 30);
        MoveTo("set/a/x.png", [.. "caf"u8, 0xE9, .. ".png"u8]);   // "café.png" in Latin-1
        var skipped = new List<string>();
        var set = ImageFolder.Load(Path.Combine(_dir, "set"), null, strict: true, skipped);
        Assert.Empty(skipped);
        Assert.Equal([0, 0, 1], set.Labels);
        Assert.Equal(20, set.ImageAt(1)[0]);   // the renamed image, sorted after 1.png
        Assert.Equal(Path.Combine(_dir, "set/a/caf\\xE9.png"), FileNames.Readable(set.Paths![1]));
    }

    [Fact]
    public void Two_names_that_read_the_same_in_NET_are_skipped_with_their_bytes_named()
    {
        if (!OperatingSystem.IsLinux()) return;
        Png("set/a/1.png", 10); Png("set/a/x.png", 20); Png("set/a/y.png", 30);
        MoveTo("set/a/x.png", [0xFE, .. ".png"u8]);
        MoveTo("set/a/y.png", [0xFF, .. ".png"u8]);
        var skipped = new List<string>();
        var set = ImageFolder.Load(Path.Combine(_dir, "set"), null, strict: false, skipped);
        Assert.Equal(1, set.Count);
        var message = Assert.Single(skipped);
        Assert.StartsWith(Path.Combine(_dir, "set/a") + ": the file names \\xFE.png, \\xFF.png are not valid UTF-8 " +
            "and read the same in .NET (\uFFFD.png)", message);
        Assert.DoesNotContain("could not find", message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_class_folder_whose_name_is_not_UTF8_is_one_error_naming_it_escaped()
    {
        if (!OperatingSystem.IsLinux()) return;
        Png("set/a/1.png", 10); Png("set/b/2.png", 20);
        MoveTo("set/b", [0xFF, .. "b"u8]);
        string set = Path.Combine(_dir, "set");
        foreach (var open in new Action[] { () => ImageFolder.List(set), () => ImageFolder.Split(set, 1, 0.1) })
        {
            var e = Assert.Throws<DataException>(open);
            Assert.Equal($"{set}: class folder name \\xFFb is not valid UTF-8 (class names are kept as text in " +
                "checkpoints and reports); rename it in UTF-8", e.Message);
        }
        // the folder given as a data folder (as .NET reads it from the command line)
        var given = Assert.Throws<DataException>(() => ImageFolder.List(Path.Combine(set, "\uFFFDb")));
        Assert.Equal($"{set}/\\xFFb: its name is not valid UTF-8, and .NET cannot open such a folder; rename it in " +
            "UTF-8", given.Message);
    }
}

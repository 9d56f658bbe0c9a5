using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace GpuNet.Data;

/// <summary>
/// File names that are not valid UTF-8. Linux allows any bytes in a name but '/' and NUL; .NET decodes each name it
/// lists as UTF-8, turning every invalid sequence into U+FFFD, and encodes the string back when it opens a path, so
/// the name it listed opens nothing ("could not find a part of the path"). Here such a path is found by its original
/// bytes in its folder's raw listing (libc readdir): its files can be opened (<see cref="OpenRead"/>) and its name
/// written readably, with the bad bytes escaped as <c>\xFF</c> (<see cref="Readable"/>).
/// </summary>
public static unsafe partial class FileNames
{
    /// <summary>
    /// True when <paramref name="path"/>, as .NET listed it, names nothing: a name in it was not valid UTF-8.
    /// </summary>
    public static bool IsLost(string path) =>
        path.Contains('\uFFFD') && !File.Exists(path) && !Directory.Exists(path);

    /// <summary>True when <paramref name="path"/> names nothing as .NET listed it but exists by its bytes.</summary>
    public static bool ExistsByBytes(string path) => IsLost(path) && RawPath(path, out _) is not null;

    /// <summary>
    /// Why <paramref name="path"/> cannot be opened when a name in it is not valid UTF-8 and it exists by its bytes
    /// (a folder given on the command line, say), naming it readably; else null.
    /// </summary>
    public static string? Unopenable(string path) =>
        ExistsByBytes(path)
            ? $"{Readable(path)}: its name is not valid UTF-8, and .NET cannot open such a folder; rename it in UTF-8"
            : null;

    /// <summary>
    /// Opens a file to read, also one whose name is not valid UTF-8 (found by its bytes). Throws what
    /// <see cref="File.OpenHandle"/> throws, or a <see cref="DataException"/> naming the file readably when its name
    /// cannot be told apart from another's.
    /// </summary>
    public static SafeFileHandle OpenRead(string path)
    {
        try { return File.OpenHandle(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && path.Contains('\uFFFD'))
        {
            var raw = RawPath(path, out var matches);
            if (matches.Count > 1)
                throw new DataException($"{Path.GetDirectoryName(path)}: the file names " +
                    $"{string.Join(", ", matches.Select(Escape).Order(StringComparer.Ordinal))} are not valid UTF-8 " +
                    $"and read the same in .NET ({Path.GetFileName(path)}), which cannot tell them apart; rename " +
                    "them in UTF-8");
            if (raw is null) throw;
            int fd;
            fixed (byte* p = raw) fd = Open(p, OpenReadOnly | OpenCloseOnExec);
            if (fd < 0) throw new IOException($"open failed with errno {Marshal.GetLastPInvokeError()}");
            return new SafeFileHandle(fd, ownsHandle: true);
        }
    }

    /// <summary>
    /// <paramref name="path"/> with the bytes of its names that are not UTF-8 escaped (<c>\xFF</c>), recovered from the
    /// folders' raw listings; as it is when it has no such name or they cannot be recovered.
    /// </summary>
    public static string Readable(string path)
    {
        if (!path.Contains('\uFFFD')) return path;
        var raw = RawPath(path, out _);
        if (raw is null) return path;
        // back to the path as given: relative when it was
        string full = Escape(raw[..^1]), cwd = Directory.GetCurrentDirectory() + Path.DirectorySeparatorChar;
        return !Path.IsPathRooted(path) && full.StartsWith(cwd, StringComparison.Ordinal) ? full[cwd.Length..] : full;
    }

    /// <summary>A name's bytes as text: UTF-8 decoded, each byte of a bad sequence escaped as <c>\xFF</c>.</summary>
    public static string Escape(byte[] name)
    {
        var text = new StringBuilder();
        for (var bytes = name.AsSpan(); !bytes.IsEmpty;)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out int used);
            if (status == System.Buffers.OperationStatus.Done) text.Append(rune.ToString());
            else foreach (byte b in bytes[..used]) text.Append($"\\x{b:X2}");
            bytes = bytes[used..];
        }
        return text.ToString();
    }

    /// <summary>
    /// The bytes of <paramref name="path"/> (absolute, NUL-terminated) on a Linux file system: each name holding
    /// U+FFFD matched against its folder's raw listing by how .NET decodes it. Null when a name has no match or several
    /// (<paramref name="matches"/>: the last such name's matches), or off Linux.
    /// </summary>
    private static byte[]? RawPath(string path, out List<byte[]> matches)
    {
        matches = [];
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess) return null;
        var raw = new List<byte>();
        foreach (var name in Path.GetFullPath(path).Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            raw.Add((byte)'/');
            if (!name.Contains('\uFFFD')) { raw.AddRange(Encoding.UTF8.GetBytes(name)); continue; }
            matches = List(raw.Count == 1 ? "/"u8.ToArray() : raw.Take(raw.Count - 1).ToArray())
                .Where(n => Encoding.UTF8.GetString(n) == name).ToList();
            if (matches.Count != 1) return null;
            raw.AddRange(matches[0]);
        }
        raw.Add(0);
        return raw.ToArray();
    }

    // The names in folder `dir` (its bytes), as the file system stores them; empty when it cannot be read.
    private static List<byte[]> List(byte[] dir)
    {
        var names = new List<byte[]>();
        var path = dir.Append((byte)0).ToArray();
        nint handle;
        fixed (byte* p = path) handle = OpenDir(p);
        if (handle == 0) return names;
        try
        {
            for (nint entry; (entry = ReadDir(handle)) != 0;)
            {
                // struct dirent on 64-bit Linux (glibc and musl): d_ino 8, d_off 8, d_reclen 2, d_type 1, d_name
                var name = MemoryMarshal.CreateReadOnlySpanFromNullTerminated((byte*)entry + 19);
                if (!name.SequenceEqual("."u8) && !name.SequenceEqual(".."u8)) names.Add(name.ToArray());
            }
        }
        finally { _ = CloseDir(handle); }
        return names;
    }

    private const int OpenReadOnly = 0, OpenCloseOnExec = 0x80000;   // O_RDONLY, O_CLOEXEC (x86-64 and arm64)

    static FileNames() => Runtime.NativeLibraries.EnsureRegistered();

    [LibraryImport("c", EntryPoint = "opendir", SetLastError = true)] private static partial nint OpenDir(byte* name);
    [LibraryImport("c", EntryPoint = "readdir")] private static partial nint ReadDir(nint dir);
    [LibraryImport("c", EntryPoint = "closedir")] private static partial int CloseDir(nint dir);
    [LibraryImport("c", EntryPoint = "open", SetLastError = true)]
    private static partial int Open(byte* path, int flags);
}

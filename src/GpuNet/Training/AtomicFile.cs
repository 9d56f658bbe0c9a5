using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GpuNet.Training;

/// <summary>
/// Writes files through a temporary sibling, <c>NAME.tmp-PID</c>, flushed to disk and then renamed over NAME: a reader
/// never sees half a file, and a write that fails or is killed leaves the previous NAME as it was.
/// </summary>
public static class AtomicFile
{
    private const string TempMarker = ".tmp-";

    /// <summary>
    /// Test hook: called with the final path once the temporary file is complete, just before the rename; an exception
    /// it throws is handled as a failed write. Seen only by writes on the thread that set it.
    /// </summary>
    [ThreadStatic] internal static Action<string>? BeforeRename;

    /// <summary>The temporary file this process writes <paramref name="path"/> through.</summary>
    public static string TempPath(string path) => path + TempMarker + Environment.ProcessId;

    /// <summary>
    /// Writes <paramref name="path"/> with <paramref name="write"/> (which may seek). When writing fails (a full disk,
    /// no permission) the temporary file is removed, <paramref name="path"/> is untouched, and the error is an
    /// <see cref="IOException"/> naming the file and saying that the previous <paramref name="what"/> is kept.
    /// </summary>
    public static void Write(string path, Action<Stream> write, string what = "file")
    {
        string tmp = TempPath(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            BeforeRename?.Invoke(path);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); }
            catch (Exception d) when (d is IOException or UnauthorizedAccessException) { }
            if (e is not (IOException or UnauthorizedAccessException)) throw;
            string kept = File.Exists(path) ? $"the previous {what} is kept" : $"no {what} was written";
            throw new IOException($"{path}: could not be saved ({e.Message}); {kept}", e);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (see <see cref="Write"/>).</summary>
    public static void WriteAllText(string path, string text, string what = "file") =>
        Write(path, s => s.Write(Encoding.UTF8.GetBytes(text)), what);

    /// <summary>Writes <paramref name="bytes"/> (see <see cref="Write"/>).</summary>
    public static void WriteAllBytes(string path, byte[] bytes, string what = "file") =>
        Write(path, s => s.Write(bytes), what);

    /// <summary>Copies <paramref name="source"/> to <paramref name="destination"/> (see <see cref="Write"/>).</summary>
    public static void Copy(string source, string destination, string what = "file") => Write(destination, s =>
    {
        using var from = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        from.CopyTo(s, 1 << 20);
    }, what);

    /// <summary>
    /// Removes the temporary files (<c>NAME.tmp-PID</c>, for each of <paramref name="names"/>) that processes which are
    /// no longer running left in <paramref name="folder"/> when they were killed mid-write; returns their paths.
    /// </summary>
    public static List<string> RemoveStale(string folder, IEnumerable<string> names)
    {
        var removed = new List<string>();
        if (!Directory.Exists(folder)) return removed;
        foreach (var name in names)
            foreach (var path in Directory.EnumerateFiles(folder, name + TempMarker + "*"))
            {
                string pid = Path.GetFileName(path)[(name.Length + TempMarker.Length)..];
                if (!int.TryParse(pid, NumberStyles.None, null, out int id) || IsRunning(id)) continue;
                File.Delete(path);
                removed.Add(path);
            }
        return removed;
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId) return true;
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException) { return false; }
    }
}

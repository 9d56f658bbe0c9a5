using System.Security.Cryptography;
using System.Text;

namespace GpuNet.Runtime;

/// <summary>
/// The on-disk cache of compiled kernels shared by the OpenCL and CUDA backends: <c>$GPUNET_CACHE/&lt;backend&gt;</c>
/// (default <c>~/.cache/gpunet/&lt;backend&gt;</c>), one file per SHA-256 key of everything that affects the binary.
/// Files are written to a temporary name and renamed, so a reader never sees half a file; an unreadable entry reads
/// as a miss and a failed write is ignored (the cache only saves time).
/// </summary>
internal static class KernelBinaryCache
{
    public static string Directory(string backend) =>
        Path.Combine(Environment.GetEnvironmentVariable("GPUNET_CACHE") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpunet"), backend);

    /// <summary>A file-name key: the first 128 bits of SHA-256 over the parts, newline-separated.</summary>
    public static string Key(params string[] parts) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", parts))))[..32].ToLowerInvariant();

    public static byte[]? TryRead(string path)
    {
        try { return File.Exists(path) ? File.ReadAllBytes(path) : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    public static void TryWrite(string path, byte[] data)
    {
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            string tmp = path + $".tmp-{Environment.ProcessId}-{Environment.CurrentManagedThreadId}";
            File.WriteAllBytes(tmp, data);
            File.Move(tmp, path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

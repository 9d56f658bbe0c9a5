using GpuNet.Classic;

namespace GpuNet.Tests.Classic;

/// <summary>The Iris CSV that data-scripts/iris.sh writes (data/iris/iris.csv, or $GPUNET_IRIS).</summary>
public static class Iris
{
    public static CsvData Load() => CsvData.Load(Path, -1);

    /// <summary>The CSV file's path ($GPUNET_IRIS, else data/iris/iris.csv in the repository).</summary>
    public static string Path
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("GPUNET_IRIS");
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "GpuNet.sln")))
                dir = dir.Parent;
            string path = !string.IsNullOrEmpty(env) ? env
                : System.IO.Path.Combine(dir?.FullName ?? ".", "data", "iris", "iris.csv");
            if (!File.Exists(path))
                Assert.Fail(
                    $"Iris not found at {path}; run data-scripts/iris.sh (data-scripts/test.sh does it for you)");
            return path;
        }
    }
}

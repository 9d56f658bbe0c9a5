using GpuNet.Classic;

namespace GpuNet.Tests.Classic;

/// <summary>The Iris CSV that data-scripts/iris.sh writes (data/iris/iris.csv, or $GPUNET_IRIS).</summary>
public static class Iris
{
    public static CsvData Load()
    {
        string? env = Environment.GetEnvironmentVariable("GPUNET_IRIS");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GpuNet.sln"))) dir = dir.Parent;
        string path = !string.IsNullOrEmpty(env) ? env : Path.Combine(dir?.FullName ?? ".", "data", "iris", "iris.csv");
        if (!File.Exists(path)) Assert.Fail($"Iris not found at {path}; run data-scripts/iris.sh (data-scripts/test.sh does it for you)");
        return CsvData.Load(path, -1);
    }
}

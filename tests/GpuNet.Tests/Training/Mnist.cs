namespace GpuNet.Tests.Training;

/// <summary>Finds the MNIST image folders that data-scripts/mnist.sh writes (data/mnist in the repo, or $GPUNET_MNIST).</summary>
public static class Mnist
{
    public static string Folder
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("GPUNET_MNIST");
            if (!string.IsNullOrEmpty(env)) return env;
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "GpuNet.sln"))) dir = dir.Parent;
            string path = dir is null ? "data/mnist" : Path.Combine(dir.FullName, "data", "mnist");
            if (!Directory.Exists(Path.Combine(path, "train")))
                Assert.Fail($"MNIST image folders not found at {path}; run data-scripts/mnist.sh (data-scripts/test.sh does it for you)");
            return path;
        }
    }
}

namespace GpuNet.Tests.Training;

/// <summary>
/// Finds the MNIST image folders that data-scripts/mnist.sh writes (data/mnist in the repo, or $GPUNET_MNIST).
/// </summary>
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
                Assert.Fail(
                    $"MNIST image folders not found at {path}; run data-scripts/mnist.sh (data-scripts/test.sh does " +
                    "it for you)");
            return path;
        }
    }

    /// <summary>
    /// A small MNIST folder under <paramref name="dir"/>: the first <paramref name="trainPerClass"/> training and
    /// <paramref name="testPerClass"/> test images of each class, linked, for runs that must take seconds.
    /// </summary>
    public static string Small(string dir, int trainPerClass, int testPerClass)
    {
        string data = Path.Combine(dir, "mnist");
        foreach (var (split, count) in new[] { ("train", trainPerClass), ("test", testPerClass) })
            foreach (var cls in Directory.GetDirectories(Path.Combine(Folder, split)))
            {
                string to = Directory.CreateDirectory(Path.Combine(data, split, Path.GetFileName(cls))).FullName;
                foreach (var f in Directory.GetFiles(cls).Order().Take(count))
                    File.CreateSymbolicLink(Path.Combine(to, Path.GetFileName(f)), f);
            }
        return data;
    }
}

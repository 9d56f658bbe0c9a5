using System.Diagnostics;
using GpuNet.Data;
using GpuNet.Models;
using GpuNet.Runtime.Cpu;
using GpuNet.Tests.Data;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

/// <summary>
/// A Ctrl+C (a cancelled token) while the data set loads, or while a set is evaluated, stops at once: the listing, the
/// decoding into memory and the evaluation loop check the token, and a stopped run has written no run file.
/// </summary>
public sealed class CancellationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-cancel").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    // DIR/<class>/*.png: `perClass` 28x28 gray images in each of two classes
    private string Folder(int perClass)
    {
        string data = Path.Combine(_dir, "data");
        var png = ImageFixtures.Png(28, 28, 1, Pictures.Smooth(28, 28, 1));
        foreach (var cls in new[] { "a", "b" })
        {
            Directory.CreateDirectory(Path.Combine(data, cls));
            for (int i = 0; i < perClass; i++) File.WriteAllBytes(Path.Combine(data, cls, $"{i:D5}.png"), png);
        }
        return data;
    }

    /// <summary>Cancels its token at the first progress report of the image cache and records every report.</summary>
    private sealed class CancelWhileLoading(CancellationTokenSource cts) : ITrainingObserver
    {
        public readonly List<(int Done, int Total)> Reports = [];
        public Stopwatch SinceCancel { get; } = new();
        public void Message(string text) { }
        public void Warning(string text) { }
        public void Loading(string what, int done, int total)
        {
            lock (Reports) Reports.Add((done, total));
            if (!cts.IsCancellationRequested) { SinceCancel.Start(); cts.Cancel(); }
        }
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchCompleted(int epoch, int batch, int batches, double loss, double imagesPerSecond) { }
        public void EpochCompleted(EpochMetrics metrics, bool best) { }
    }

    [Fact]
    public void A_run_cancelled_while_its_images_decode_stops_there_and_writes_no_run_file()
    {
        string data = Folder(2500);
        string run = Path.Combine(_dir, "run");
        using var cts = new CancellationTokenSource();
        var obs = new CancelWhileLoading(cts);
        var o = new TrainOptions
        {
            Model = "lenet5", Data = data, Epochs = 1, Batch = 32, Cache = "on", Workers = 2, Out = run, Seed = 3,
        };
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer.Run(o, obs, ct: cts.Token));
        double seconds = obs.SinceCancel.Elapsed.TotalSeconds;
        // progress comes every 1,024 images: cancelled at the first report, the 4,000 training images stop
        // before the next
        Assert.Equal([(1024, obs.Reports[0].Total)], obs.Reports);
        Assert.True(obs.Reports[0].Total > 2048, $"{obs.Reports[0].Total} training images");
        Assert.True(seconds < 1, $"stopped {seconds:F2} s after the cancel");
        var written = RunFolder.Files.Where(f => File.Exists(Path.Combine(run, f))).ToArray();
        Assert.True(written.Length == 0, $"a cancelled load wrote {string.Join(", ", written)}");
    }

    [Fact]
    public void Listing_and_opening_a_data_folder_with_a_cancelled_token_stop_before_reading_it()
    {
        string data = Folder(3);
        var cancelled = new CancellationToken(canceled: true);
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFolder.List(data, ct: cancelled));
        Assert.ThrowsAny<OperationCanceledException>(() => ImageFolder.Split(data, 1, 0.1, ct: cancelled));
        var o = new TrainOptions { Data = data, Out = Path.Combine(_dir, "run") };
        Assert.ThrowsAny<OperationCanceledException>(() => TrainingData.Open(o, ModelZoo.Describe("lenet5"),
            NullObserver.Instance, cancelled));
        var store = new ImageStore(ImageFolder.List(data), new BadFiles(false));
        Assert.ThrowsAny<OperationCanceledException>(() => store.Preload(2, ct: cancelled));
        Assert.False(store.IsCached);
        Assert.ThrowsAny<OperationCanceledException>(() => store.EstimateDecodedBytes(ct: cancelled));
    }

    [Fact]
    public void Evaluation_with_a_cancelled_token_stops_before_its_first_batch()
    {
        string data = Folder(40);
        var files = ImageFolder.List(data);
        var store = new ImageStore(files, new BadFiles(false));
        using var cpu = new CpuAccelerator();
        using var model = ModelZoo.Create("lenet5", cpu, files.Classes.Length);
        var transform = new Transform([], model.InputShape, [0.5f], [0.25f]);
        var loader = new BatchLoader(store, transform, 16, workers: 2);
        var items = Enumerable.Range(0, files.Count).ToArray();
        Assert.Equal(80, Evaluator.Evaluate(model, loader, items).Count);
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Evaluator.Evaluate(model, loader, items, ct: new CancellationToken(canceled: true)));
    }
}

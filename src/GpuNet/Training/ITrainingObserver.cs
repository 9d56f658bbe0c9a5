namespace GpuNet.Training;

/// <summary>Per-epoch figures, as written to metrics.csv.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss,
    double ValidationAccuracy,
    float LearningRate, double Seconds, double ImagesPerSecond, double DataWaitSeconds = 0);

/// <summary>What a training run tells its user; the CLI renders it with Spectre.Console, tests ignore it.</summary>
public interface ITrainingObserver
{
    void Message(string text);
    void Warning(string text);
    /// <summary>Long loading work: called with (done, total) as it goes.</summary>
    void Loading(string what, int done, int total);
    void EpochStarted(int epoch, int epochs, int batches);
    void BatchCompleted(int epoch, int batch, int batches, double loss, double imagesPerSecond);
    void EpochCompleted(EpochMetrics metrics, bool best);
}

public sealed class NullObserver : ITrainingObserver
{
    public static readonly NullObserver Instance = new();
    public void Message(string text) { }
    public void Warning(string text) { }
    public void Loading(string what, int done, int total) { }
    public void EpochStarted(int epoch, int epochs, int batches) { }
    public void BatchCompleted(int epoch, int batch, int batches, double loss, double imagesPerSecond) { }
    public void EpochCompleted(EpochMetrics metrics, bool best) { }
}

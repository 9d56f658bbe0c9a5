using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

/// <summary>
/// Renders training progress: a bar per epoch with loss, images/s and ETA, and a line per finished epoch.
/// </summary>
internal sealed class SpectreObserver(ProgressContext ctx) : ITrainingObserver
{
    private ProgressTask? _task;
    private readonly Dictionary<string, ProgressTask> _loading = [];

    public void Message(string text) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(text)}[/]");
    public void Warning(string text) => AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(text)}");

    public void Loading(string what, int done, int total)
    {
        if (!_loading.TryGetValue(what, out var t))
            _loading[what] = t = ctx.AddTask($"loading {what}", maxValue: total);
        t.Value = done;
        if (done >= total) t.StopTask();
    }

    public void EpochStarted(int epoch, int epochs, int batches) =>
        _task = ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: batches);

    public void BatchCompleted(int epoch, int batch, int batches, double loss, double imagesPerSecond)
    {
        if (_task is null) return;
        _task.Value = batch;
        if (batch % 10 == 0 || batch == batches)
            _task.Description = $"epoch {epoch} loss {loss:F4} {imagesPerSecond:N0} img/s";
    }

    public void EpochCompleted(EpochMetrics m, bool best)
    {
        _task?.StopTask();
        AnsiConsole.MarkupLine(
            $"epoch {m.Epoch}: train loss {m.TrainLoss:F4} acc {Common.Percent(m.TrainAccuracy)}  val loss " +
            $"{m.ValidationLoss:F4} acc {Common.Percent(m.ValidationAccuracy)}  " +
            $"lr {m.LearningRate:G3}  {m.Seconds:F1} s ({m.ImagesPerSecond:N0} img/s, waited {m.DataWaitSeconds:F1} " +
            $"s for data){(best ? "  [green]best[/]" : "")}");
    }
}

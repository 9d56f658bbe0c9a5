using GpuNet.Layers;
using GpuNet.Models;

namespace GpuNet.Distributed;

/// <summary>
/// What the trainer needs from the processes training one model together (data parallelism): who this process is,
/// the sum of every rank's gradients, and sums of a few host numbers (metrics, counts). A step runs as
/// <see cref="BeginStep"/>, backward with <see cref="GradientsReady"/> as its hook, <see cref="FinishStep"/>; then
/// every rank's gradients are the same global-batch mean and every rank applies the same update.
/// <see cref="SingleProcessReducer"/> is one process alone; <see cref="MpiGradientReducer"/> reduces over MPI.
/// Layers and models never see a reducer; another transport (NCCL for GPUs) is another implementation.
/// </summary>
public interface IGradientReducer : IDisposable
{
    /// <summary>This process among all ranks of the job (0 writes the run's files and prints).</summary>
    int Rank { get; }
    int Size { get; }
    /// <summary>This process among the ranks on its machine (picks its GPU, its share of the cores).</summary>
    int LocalRank { get; }
    int LocalSize { get; }
    Shard Shard => new(Rank, Size);

    /// <summary>
    /// What the batch's mean loss is multiplied by before backward, for a batch of <paramref name="count"/> images on
    /// this rank: 1 alone; with several ranks the count (a summed loss), which <see cref="FinishStep"/> divides by
    /// the global batch's count, so gradients equal a single process on the whole batch.
    /// </summary>
    double LossWeight(int count);

    /// <summary>
    /// Starts a step of <paramref name="network"/> with <paramref name="count"/> images here (0: this rank's part of
    /// the batch is empty; it adds zeros); <paramref name="stop"/> asks every rank to stop after this step.
    /// </summary>
    void BeginStep(INetwork network, int count, bool stop);

    /// <summary>Backward's hook: these parameters' gradients are complete (any thread).</summary>
    void GradientsReady(IReadOnlyList<Parameter> parameters);

    /// <summary>
    /// Waits for the step's reductions and leaves each gradient the mean over the global batch; returns the global
    /// batch's count and whether any rank asked to stop.
    /// </summary>
    (int Count, bool Stop) FinishStep();

    /// <summary>Sums <paramref name="values"/> over every rank, in place (blocking; every rank calls it alike).
    /// </summary>
    void Sum(Span<double> values);

    /// <summary>Where the reductions' time went since the last call (which resets it).</summary>
    ReductionTimes TakeTimes();
}

/// <summary>
/// The time data parallelism added over <see cref="Steps"/> steps: <see cref="Total"/> spent in the reducer's calls
/// (copying gradients to and from the host, starting and driving the reductions, waiting), of which
/// <see cref="Waiting"/> waiting in <see cref="IGradientReducer.FinishStep"/> for reductions backward did not hide.
/// </summary>
public readonly record struct ReductionTimes(TimeSpan Total, TimeSpan Waiting, int Steps);

/// <summary>One process alone: gradients stay as backward left them.</summary>
public sealed class SingleProcessReducer : IGradientReducer
{
    private int _count;
    private bool _stop;

    public int Rank => 0;
    public int Size => 1;
    public int LocalRank => 0;
    public int LocalSize => 1;
    public double LossWeight(int count) => 1;
    public void BeginStep(INetwork network, int count, bool stop) => (_count, _stop) = (count, stop);
    public void GradientsReady(IReadOnlyList<Parameter> parameters) { }
    public (int Count, bool Stop) FinishStep() => (_count, _stop);
    public void Sum(Span<double> values) { }
    public ReductionTimes TakeTimes() => default;
    public void Dispose() { }
}

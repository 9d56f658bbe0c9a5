using System.CommandLine;
using GpuNet.Data;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class Common
{
    public static Option<string> Device() => new("--device", "-d")
    {
        Description =
            "Accelerator to run on: cpu (all cores), cpu:T (T threads), cuda or cuda:i (NVIDIA GPUs through ILGPU), " +
            "opencl or opencl:i (OpenCL 2.0+ devices), ilgpu-cpu (the GPU kernels run on the CPU, slow: for " +
            "checking); `gpunet devices` lists them",
        DefaultValueFactory = _ => "cpu",
    };

    /// <summary>One device, or the pair named by --devices; disposes them.</summary>
    public sealed class DeviceSet(GpuNet.Runtime.Accelerator first, GpuNet.Runtime.Accelerator? second) : IDisposable
    {
        public GpuNet.Runtime.Accelerator First { get; } = first;
        public GpuNet.Runtime.Accelerator? Second { get; } = second;
        public void Dispose() { First.Dispose(); Second?.Dispose(); }
    }

    public static DeviceSet OpenDevices(string device, string? devices)
    {
        var all = GpuNet.Runtime.Devices.OpenRun(device, devices);
        return new DeviceSet(all[0], all.Length > 1 ? all[1] : null);
    }

    public static Option<int> Batch(int def) =>
        new("--batch", "-b") { Description = "Images per batch", DefaultValueFactory = _ => def };

    /// <summary>
    /// Runs a command body; bad input becomes one red line on stderr naming what is wrong, and exit code 1 (2 for
    /// usage). An <see cref="IOException"/> (a file that cannot be read or saved, a full disk) is one such line too.
    /// A rank of an mpirun job that fails says so with its rank, then ends the whole job (MPI_Abort): the other ranks
    /// would otherwise wait for it forever.
    /// </summary>
    public static void SetGuardedAction(this Command command, Func<ParseResult, int> body) =>
        command.SetAction((ParseResult r) =>
        {
            int code = Guarded(r, body);
            if (code != 0) GpuNet.Distributed.DataParallel.Abort(code);
            return code;
        });

    private static int Guarded(ParseResult r, Func<ParseResult, int> body)
    {
        try { return body(r); }
        catch (Exception e) when (e is DataException or CheckpointException or ArgumentException
            or GpuNet.Runtime.AcceleratorException or IOException or UnauthorizedAccessException
            or DivergenceException or GpuNet.Charts.ChartException or GpuNet.Distributed.MpiException)
        {
            Error(e.Message);
            Trace(r, e);
            return e is ArgumentException ? 2 : 1;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // a fault nobody named: still one line, with what it was; the trace on request
            Error($"{e.Message} (an unexpected {e.GetType().Name}; --verbose or GPUNET_DEBUG=1 shows where)");
            Trace(r, e);
            return 1;
        }
        catch (OperationCanceledException)
        {
            Error("stopped");
            return 130;
        }
    }

    /// <summary>
    /// Creates the folder <paramref name="outDir"/> by letting <paramref name="write"/> fill a temporary sibling that
    /// is renamed at the end, so an interrupted run leaves no half folder behind. An existing non-empty folder is an
    /// error.
    /// </summary>
    public static void WriteFolder(string outDir, Action<string> write)
    {
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new DataException($"{outDir}: already exists and is not empty; remove it first");
        string tmp = outDir.TrimEnd('/') + $".tmp-{Environment.ProcessId}";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, true);
        write(tmp);
        if (Directory.Exists(outDir)) Directory.Delete(outDir);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outDir))!);
        Directory.Move(tmp, outDir);
    }

    /// <summary>One error line; a rank of a multi-process job names itself ("error: rank 1: ...").</summary>
    public static void Error(string message) =>
        Console.Error.WriteLine(GpuNet.Distributed.DataParallel.Current is { Size: > 1 } job
            ? $"error: rank {job.Rank}: {message}"
            : $"error: {message}");

    /// <summary>
    /// Every command's --verbose: an error also prints the .NET stack trace (as GPUNET_DEBUG=1 does).
    /// </summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On an error, print the .NET stack trace too (as GPUNET_DEBUG=1 does)", Recursive = true,
    };

    private static void Trace(ParseResult r, Exception e)
    {
        if (r.GetValue(Verbose) || Environment.GetEnvironmentVariable("GPUNET_DEBUG") == "1")
            Console.Error.WriteLine(e);
    }

    public static string Percent(double v) => $"{v * 100:F2}%";

    public static string MiB(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";

    public static Table Confusion(EvaluationResult r)
    {
        var t = new Table().Border(TableBorder.Simple).Title("confusion matrix (rows: true, columns: predicted)");
        t.AddColumn("");
        foreach (var c in r.Classes) t.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
        for (int i = 0; i < r.Classes.Length; i++)
        {
            var row = new List<string> { Markup.Escape(r.Classes[i]) };
            for (int j = 0; j < r.Classes.Length; j++)
                row.Add(i == j ? $"[green]{r.Confusion[i, j]}[/]" : r.Confusion[i, j] == 0 ? "[grey]0[/]"
                    : $"[red]{r.Confusion[i, j]}[/]");
            t.AddRow(row.ToArray());
        }
        return t;
    }
}

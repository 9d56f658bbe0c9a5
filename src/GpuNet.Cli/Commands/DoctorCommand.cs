using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

/// <summary><c>gpunet doctor</c>: every op on a device against the CPU accelerator (<see cref="Doctor"/>).</summary>
internal static class DoctorCommand
{
    public static Command Create()
    {
        var device = new Option<string[]>("--device", "-d")
        {
            Description = "Device(s) to check: cuda:i or opencl:i (cuda = cuda:0), or ilgpu-cpu (the GPU kernels on " +
                          "ILGPU's CPU accelerator, thread by thread: no GPU needed); repeat for several. " +
                          "Default: every CUDA and OpenCL device ILGPU can use",
        };
        var json = new Option<bool>("--json")
        {
            Description = "Print the reports as JSON (device details, each op's error, kernels not reached) " +
                          "instead of tables",
        };
        var cmd = new Command("doctor",
            "Check a device after installing its driver: runs every op on it and on the CPU accelerator with the " +
            "same small random inputs (both convolution algorithms; every GEMM transposition through the tiled and " +
            "the direct kernel) and prints the device, its compute capability, driver and ILGPU version, each op's " +
            "largest error (|device − cpu| / (1 + |cpu|), pass at 1e-4) and the kernels of kernels/ no op reached. " +
            "Exit code 0 when every op on every device passes, 1 otherwise.") { device, json };
        cmd.SetGuardedAction(r =>
        {
            var names = r.GetValue(device) is { Length: > 0 } given ? given : IlgpuDeviceNames();
            if (names.Length == 0)
            {
                Common.Error("no CUDA or OpenCL device ILGPU can use (the CPU accelerator is only the reference).");
                Console.Error.WriteLine($"  CUDA: {IlgpuDevices.CudaUnavailable}");
                Console.Error.WriteLine($"  OpenCL: {IlgpuDevices.OpenClUnavailable}");
                Console.Error.WriteLine("  To check the kernels without a GPU: gpunet doctor --device ilgpu-cpu");
                return 1;
            }
            bool asJson = r.GetValue(json), passed = true;
            var reports = new List<DoctorReport>();
            foreach (var name in names)
            {
                using var acc = Devices.Open(name);
                var report = asJson ? Doctor.Run(acc) : RunWithProgress(acc);
                reports.Add(report);
                passed &= report.Passed;
                if (!asJson) Print(report);
            }
            if (asJson) Console.WriteLine(Json(reports));
            return passed ? 0 : 1;
        });
        return cmd;
    }

    // cuda:0 … and opencl:0 … as ILGPU numbers the devices it can use
    private static string[] IlgpuDeviceNames() =>
    [
        .. Enumerable.Range(0, IlgpuDevices.Cuda.Count).Select(i => $"cuda:{i}"),
        .. Enumerable.Range(0, IlgpuDevices.OpenCL.Count).Select(i => $"opencl:{i}"),
    ];

    // a progress bar on a terminal; piped output gets only the report
    private static DoctorReport RunWithProgress(Accelerator acc)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive) return Doctor.Run(acc);
        DoctorReport? report = null;
        AnsiConsole.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape($"checking {acc.Name}"), maxValue: Doctor.Checks.Count);
                report = Doctor.Run(acc, c =>
                {
                    task.Description = Markup.Escape($"{acc.Name}: {c.Op}");
                    task.Increment(1);
                });
            });
        return report!;
    }

    // "compute capability 9.0, driver CUDA 12.8, ILGPU 1.5.3": what the report knows of the device beyond its name
    private static string Details(DoctorReport rep) => string.Join(", ", new[]
    {
        rep.ComputeCapability is { } cc ? $"compute capability {cc}" : null,
        rep.Driver is { } driver ? $"driver {driver}" : null,
        rep.Ilgpu is { } ilgpu ? $"ILGPU {ilgpu}" : null,
    }.OfType<string>());

    private static void Print(DoctorReport rep)
    {
        Console.WriteLine($"{rep.Device}: {rep.Description}");
        if (Details(rep) is { Length: > 0 } details) Console.WriteLine($"{rep.Device}: {details}");
        var t = new Table().Border(TableBorder.Simple);
        t.AddColumn("op");
        t.AddColumn(new TableColumn("max error").RightAligned());
        t.AddColumn(new TableColumn("ms").RightAligned());
        t.AddColumn("result");
        foreach (var c in rep.Checks)
            t.AddRow(Markup.Escape(c.Op), double.IsFinite(c.MaxError) ? c.MaxError.ToString("0.0e+00") : "-",
                c.Milliseconds.ToString("F1"), c.Passed ? "[green]pass[/]"
                    : Markup.Escape(c.Error is { } e ? $"FAIL: {e}" : $"FAIL (tolerance {c.Tolerance:0e+00})"));
        AnsiConsole.Write(t);
        int failed = rep.Checks.Count(c => !c.Passed);
        // kernels are counted on ILGPU only (elsewhere no launch log exists)
        string kernels = rep.KernelsRun.Count + rep.KernelsNotRun.Count == 0 ? ""
            : $", {rep.KernelsRun.Count} of {KernelCatalog.Names.Count} kernels run";
        Console.WriteLine($"{rep.Device}: {rep.Checks.Count - failed} of {rep.Checks.Count} ops pass{kernels}");
        if (rep.KernelsNotRun.Count > 0)
            Console.WriteLine($"{rep.Device}: kernels no op reached (not checked on this device): " +
                              string.Join(", ", rep.KernelsNotRun));
        Console.WriteLine(rep.Passed ? $"{rep.Device}: OK" : $"{rep.Device}: FAILED");
    }

    private static string Json(IEnumerable<DoctorReport> reports) => JsonSerializer.Serialize(reports.Select(rep => new
    {
        device = rep.Device,
        description = rep.Description,
        computeCapability = rep.ComputeCapability,
        driver = rep.Driver,
        ilgpu = rep.Ilgpu,
        passed = rep.Passed,
        checks = rep.Checks.Select(c => new
        {
            op = c.Op,
            maxError = double.IsFinite(c.MaxError) ? c.MaxError : (double?)null,
            tolerance = c.Tolerance,
            ms = Math.Round(c.Milliseconds, 3),
            passed = c.Passed,
            error = c.Error,
        }),
        kernels = rep.KernelsRun.Count + rep.KernelsNotRun.Count,
        kernelsRun = rep.KernelsRun.Count,
        kernelsNotRun = rep.KernelsNotRun,
    }), new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}

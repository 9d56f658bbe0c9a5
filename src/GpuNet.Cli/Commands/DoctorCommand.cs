using System.CommandLine;
using System.Text.Json;
using GpuNet.Runtime;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class DoctorCommand
{
    public static Command Create()
    {
        var device = new Option<string[]>("--device", "-d")
        {
            Description = "Device(s) to check, e.g. opencl:0 or cuda (= cuda:0); repeat for several. Default: every OpenCL and CUDA device found",
        };
        var json = new Option<bool>("--json") { Description = "Print the reports as JSON instead of tables" };
        var cmd = new Command("doctor",
            "Check a device after installing its driver: runs every op (both convolution algorithms and both GEMM paths) on it " +
            "and on the CPU accelerator with the same small random inputs, and prints each op's largest error " +
            "(|device − cpu| / (1 + |cpu|), pass at 1e-4), the kernels no check reached, and the device's driver details. " +
            "Exit code 0 when every op on every device passes, 1 otherwise.") { device, json };
        cmd.SetGuardedAction(r =>
        {
            var names = r.GetValue(device) is { Length: > 0 } given ? given : Devices.Available().Where(n => n != "cpu").ToArray();
            if (names.Length == 0)
            {
                Common.Error("no OpenCL or CUDA device to check (the CPU accelerator is the reference).");
                foreach (var why in Devices.Unavailable()) Console.Error.WriteLine($"  {why}");
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
            if (asJson)
                Console.WriteLine(JsonSerializer.Serialize(reports.Select(rep => new
                {
                    device = rep.Device, description = rep.Description, passed = rep.Passed,
                    checks = rep.Checks.Select(c => new { op = c.Op, maxError = double.IsFinite(c.MaxError) ? c.MaxError : (double?)null, tolerance = c.Tolerance, ms = Math.Round(c.Milliseconds, 3), passed = c.Passed, error = c.Error }),
                    kernelsRun = rep.KernelsRun.Count, kernelsNotRun = rep.KernelsNotRun,
                }), new JsonSerializerOptions { WriteIndented = true }));
            return passed ? 0 : 1;
        });
        return cmd;
    }

    private static DoctorReport RunWithProgress(Accelerator acc)
    {
        DoctorReport? report = null;
        AnsiConsole.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape($"checking {acc.Name}"), maxValue: Doctor.Checks.Count);
                report = Doctor.Run(acc, c => { task.Description = Markup.Escape($"{acc.Name}: {c.Op}"); task.Increment(1); });
            });
        return report!;
    }

    private static void Print(DoctorReport rep)
    {
        var t = new Table().Border(TableBorder.Simple).Title(Markup.Escape($"{rep.Device}: {rep.Description}"));
        t.AddColumn("op"); t.AddColumn(new TableColumn("max error").RightAligned()); t.AddColumn(new TableColumn("ms").RightAligned()); t.AddColumn("result");
        foreach (var c in rep.Checks)
            t.AddRow(Markup.Escape(c.Op), double.IsFinite(c.MaxError) ? c.MaxError.ToString("0.0e+00") : "-", c.Milliseconds.ToString("F1"),
                c.Passed ? "[green]pass[/]" : Markup.Escape(c.Error is { } e ? $"FAIL: {e}" : $"FAIL (tolerance {c.Tolerance:0e+00})"));
        AnsiConsole.Write(t);
        int failed = rep.Checks.Count(c => !c.Passed);
        string kernels = rep.KernelsRun.Count + rep.KernelsNotRun.Count == 0 ? ""
            : $", {rep.KernelsRun.Count} of {0} kernels run" + (rep.KernelsNotRun.Count > 0 ? $"; not run: {string.Join(", ", rep.KernelsNotRun)}" : "");
        Console.WriteLine($"{rep.Device}: {rep.Checks.Count - failed} of {rep.Checks.Count} ops pass{kernels}");
        Console.WriteLine(rep.Passed ? $"{rep.Device}: OK" : $"{rep.Device}: FAILED");
    }
}

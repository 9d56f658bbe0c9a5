using System.CommandLine;
using GpuNet.Models;
using GpuNet.Runtime;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m") { Description = $"Model: {string.Join(", ", ModelZoo.Names)}", Required = true };
        var classes = new Option<int?>("--classes") { Description = "Number of output classes (default: 10 for lenet5 and alexnet-small, 1000 for alexnet)" };
        var cmd = new Command("summary", "Print each layer's output shape and parameter count, and the total") { model, classes };
        cmd.SetGuardedAction(r =>
        {
            using var acc = new Runtime.Cpu.CpuAccelerator();
            using var m = ModelZoo.Create(r.GetValue(model)!, acc, r.GetValue(classes));
            var t = new Table().Border(TableBorder.Simple).Title($"{m.Name}, input {Shapes.Format(m.InputShape)}");
            t.AddColumn("layer"); t.AddColumn("type"); t.AddColumn("config"); t.AddColumn("output shape"); t.AddColumn(new TableColumn("parameters").RightAligned());
            foreach (var l in m.Layers)
                t.AddRow(l.Name, l.Kind, Markup.Escape(l.Details), Shapes.Format(l.OutputShape), l.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length).ToString("N0"));
            AnsiConsole.Write(t);
            Console.WriteLine($"total parameters: {m.ParameterCount:N0}");
            return 0;
        });
        return cmd;
    }
}

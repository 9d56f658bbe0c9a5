using System.CommandLine;
using GpuNet.Models;
using GpuNet.Runtime;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model", "-m")
        {
            Description = $"Model: {string.Join(", ", ModelZoo.Names)}",
            Required = true
        };
        var classes = new Option<int?>("--classes")
        {
            Description = "Number of output classes (default: 10 for lenet5 and alexnet-small, 1000 for alexnet)"
        };
        var devices = new Option<string?>("--devices")
        {
            Description =
            "Show the two-tower split of alexnet/alexnet-small on a device pair, e.g. cpu,cpu or cuda:0,cuda:1"
        };
        var cmd = new Command("summary", "Print each layer's output shape and parameter count, and the total") { model,
            classes, devices };
        cmd.SetGuardedAction(r =>
        {
            if (r.GetValue(devices) is { } pair)
            {
                var (a0, a1) = GpuNet.Runtime.Devices.OpenPair(pair);
                using var d0 = a0; using var d1 = a1;
                using var split = new TwoTowerAlexNet(r.GetValue(model)!, a0, a1, r.GetValue(classes));
                var st = new Table().Border(TableBorder.Simple).Title($"{split.Name} split over {a0.Name} + {a1.Name}");
                st.AddColumn("layer"); st.AddColumn("device"); st.AddColumn("config"); st.AddColumn("output");
                st.AddColumn(new TableColumn("parameters").RightAligned());
                foreach (var (l, dev) in split.Placement)
                    st.AddRow(l.Name, dev.Name, Markup.Escape(l.Details), Shapes.Format(l.OutputShape),
                        l.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length).ToString("N0"));
                AnsiConsole.Write(st);
                Console.WriteLine(
                    $"total parameters: {split.ParameterCount:N0} (conv3, fc6, fc7 and fc8 read both towers; the " +
                    "graph copies their inputs across)");
                return 0;
            }
            using var acc = new Runtime.Cpu.CpuAccelerator();
            using var m = ModelZoo.Create(r.GetValue(model)!, acc, r.GetValue(classes));
            var t = new Table().Border(TableBorder.Simple).Title($"{m.Name}, input {Shapes.Format(m.InputShape)}");
            t.AddColumn("layer"); t.AddColumn("type"); t.AddColumn("config"); t.AddColumn("output shape");
            t.AddColumn(new TableColumn("parameters").RightAligned());
            foreach (var l in m.Layers)
                t.AddRow(l.Name, l.Kind, Markup.Escape(l.Details), Shapes.Format(l.OutputShape),
                    l.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length).ToString("N0"));
            AnsiConsole.Write(t);
            Console.WriteLine($"total parameters: {m.ParameterCount:N0}");
            return 0;
        });
        return cmd;
    }
}

using System.CommandLine;
using GpuNet.Models;
using GpuNet.Networks;
using GpuNet.Runtime;
using GpuNet.Training;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class SummaryCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m")
        {
            Description = $"A shipped network: {string.Join(", ", ModelZoo.Names)}",
        };
        var network = new Option<string?>("--network", "-n") { Description = "A network file (YAML)" };
        var checkpoint = new Option<string?>("--checkpoint", "-c")
        {
            Description = "A checkpoint: the network it holds, with its classes",
        };
        var classes = new Option<int?>("--classes")
        {
            Description = "Number of output classes (default: the network's own, e.g. 10 for lenet5, 1000 for alexnet)"
        };
        var devices = new Option<string?>("--devices")
        {
            Description =
            "Show the two-tower split of alexnet/alexnet-small on a device pair, e.g. cpu,cpu or cuda:0,cuda:1"
        };
        var cmd =
            new Command("summary", "Print each layer's inputs, output shape, parameters and multiply-accumulates " +
            "per sample, and the totals, of a shipped network, a network file or a checkpoint's network")
        { model, network, checkpoint, classes, devices };
        cmd.SetGuardedAction(r =>
        {
            var (description, k) = Resolve(r.GetValue(model), r.GetValue(network), r.GetValue(checkpoint),
                r.GetValue(classes));
            if (r.GetValue(devices) is { } pair)
            {
                var (a0, a1) = GpuNet.Runtime.Devices.OpenPair(pair);
                using var d0 = a0; using var d1 = a1;
                using var split = new TwoTowerAlexNet(description, a0, a1, k);
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
            using var m = description.Build(acc, k);
            var t = new Table().Border(TableBorder.Simple).Title($"{m.Name}, input {Shapes.Format(m.InputShape)}");
            t.AddColumn("layer"); t.AddColumn("type"); t.AddColumn("inputs"); t.AddColumn("config");
            t.AddColumn("output shape"); t.AddColumn(new TableColumn("parameters").RightAligned());
            t.AddColumn(new TableColumn("MACs").RightAligned());
            for (int i = 0; i < m.Layers.Count; i++)
            {
                var l = m.Layers[i];
                string inputs = string.Join(", ", m.InputsOf(i).Select(j => j == Model.NetworkInput
                    ? NetworkDescription.InputName : m.Layers[j].Name));
                t.AddRow(l.Name, l.Kind, Markup.Escape(inputs), Markup.Escape(l.Details), Shapes.Format(l.OutputShape),
                    l.Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length).ToString("N0"),
                    l.MultiplyAccumulates.ToString("N0"));
            }
            AnsiConsole.Write(t);
            Console.WriteLine($"total parameters: {m.ParameterCount:N0}");
            Console.WriteLine(
                $"multiply-accumulates per sample (forward): {m.Layers.Sum(l => l.MultiplyAccumulates):N0}");
            return 0;
        });
        return cmd;
    }

    /// <summary>The network to show and its class count: from a checkpoint, a file or a shipped name.</summary>
    private static (NetworkDescription, int) Resolve(string? model, string? file, string? checkpoint, int? classes)
    {
        if ((model is null ? 0 : 1) + (file is null ? 0 : 1) + (checkpoint is null ? 0 : 1) != 1)
            throw new ArgumentException("give one of --model NAME, --network FILE or --checkpoint FILE");
        if (checkpoint is not null)
        {
            var ckpt = Checkpoint.Read(checkpoint);
            return (Checkpoint.Description(ckpt), classes ?? ckpt.GetJson<string[]>("classes").Length);
        }
        var d = file is not null ? NetworkDescription.Load(file) : ModelZoo.Describe(model!);
        return (d, classes ?? d.Classes);
    }
}

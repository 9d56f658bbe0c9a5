using System.CommandLine;
using GpuNet.Runtime;
using Spectre.Console;

namespace GpuNet.Cli.Commands;

internal static class DevicesCommand
{
    public static Command Create()
    {
        var cmd = new Command("devices", "List the accelerators available on this machine (names for --device)");
        cmd.SetGuardedAction(_ =>
        {
            var t = new Table().Border(TableBorder.Simple);
            t.AddColumn("device"); t.AddColumn("kind"); t.AddColumn("description");
            foreach (var acc in Devices.All())
                using (acc) t.AddRow(acc.Name, acc.Kind.ToString(), Markup.Escape(acc.Description));
            AnsiConsole.Write(t);
            foreach (var why in Devices.Unavailable()) AnsiConsole.MarkupLine($"[grey]{Markup.Escape(why)}[/]");
            return 0;
        });
        return cmd;
    }
}

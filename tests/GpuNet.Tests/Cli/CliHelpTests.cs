using System.Text.RegularExpressions;

namespace GpuNet.Tests.Cli;

/// <summary>
/// Every command and sub-command, found from `gpunet --help` itself, explains itself: it exits 0, prints its usage,
/// a description, and a description for each option, with no unexpanded interpolation such as "{ByModel(…)}".
/// </summary>
public sealed partial class CliHelpTests
{
    [GeneratedRegex(@"\{[A-Za-z_][A-Za-z0-9_.]*[(}]")]
    private static partial Regex Unexpanded();

    /// <summary>The names in a help text's Commands section (first word of each entry).</summary>
    private static List<string> Commands(string help)
    {
        var names = new List<string>();
        bool inCommands = false;
        foreach (var line in help.Split('\n'))
        {
            if (line.StartsWith("Commands:")) { inCommands = true; continue; }
            if (inCommands && line.Length > 0 && !char.IsWhiteSpace(line[0])) inCommands = false;
            if (inCommands && line.StartsWith("  ") && line.Length > 2 && !char.IsWhiteSpace(line[2]))
                names.Add(line.Trim().Split(' ')[0]);
        }
        return names;
    }

    [Fact]
    public void Every_command_and_option_explains_itself()
    {
        var (code, root, _) = ChildProcess.Gpunet(null, "--help");
        Assert.Equal(0, code);
        var pending = new Queue<string[]>(Commands(root).Select(c => new[] { c }));
        Assert.True(pending.Count >= 14, $"found only {pending.Count} commands in:\n{root}");
        int checkedCommands = 0;
        while (pending.Count > 0)
        {
            var path = pending.Dequeue();
            string name = string.Join(' ', path);
            var (c, help, err) = ChildProcess.Gpunet(null, [.. path, "--help"]);
            Assert.True(c == 0, $"gpunet {name} --help exited {c}: {err}");
            Assert.Contains("Usage:", help);
            Assert.Contains("Description:", help);
            Assert.False(Unexpanded().IsMatch(help),
                $"gpunet {name} --help shows an unexpanded template: {Unexpanded().Match(help).Value}");
            bool inOptions = false;
            foreach (var line in help.Split('\n'))
            {
                if (line.StartsWith("Options:")) { inOptions = true; continue; }
                if (inOptions && line.Length > 0 && !char.IsWhiteSpace(line[0])) inOptions = false;
                // an option entry: "  -x, --name <value>  Description"; a wrapped description line has no leading '-'
                if (inOptions && Regex.IsMatch(line, @"^\s{2}-"))
                    Assert.True(Regex.IsMatch(line, @"^\s{2}-\S.*?\S\s{2,}\S"),
                        $"gpunet {name}: option without a description: '{line.Trim()}'");
            }
            foreach (var sub in Commands(help)) pending.Enqueue([.. path, sub]);
            checkedCommands++;
        }
        Assert.True(checkedCommands >= 16, $"checked {checkedCommands} commands");
    }
}

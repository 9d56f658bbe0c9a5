using System.CommandLine;
using GpuNet.Charts;
using GpuNet.Training;

namespace GpuNet.Cli.Commands;

internal static class FiltersCommand
{
    /// <summary>The chart's name: FOLDER/filters.png and FOLDER/filters.svg.</summary>
    public const string Chart = "filters";

    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c")
        {
            Description = "Checkpoint written by `gpunet train` (e.g. RUN/best.ckpt)",
            Required = true,
        };
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Folder for filters.png and filters.svg (default: the checkpoint's folder)",
        };
        var cmd = new Command("filters",
            "Draw the first convolution's learned kernels (conv1.weight) as a grid of tiles, PNG and SVG: RGB for " +
            "colour inputs, grey for one channel, each kernel scaled to its own range; AlexNet's per tower (the " +
            "first half of the kernels tower 0, as on the 2012 paper's GPU 1), LeNet-5's as one grid")
        { checkpoint, output };
        cmd.SetGuardedAction(r =>
        {
            string path = r.GetValue(checkpoint)!;
            string dir = r.GetValue(output) ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
            var files = FilterGrid.Write(dir, Chart, Checkpoint.Read(path));
            Console.WriteLine($"wrote {files.Png} and {files.Svg}");
            return 0;
        });
        return cmd;
    }
}

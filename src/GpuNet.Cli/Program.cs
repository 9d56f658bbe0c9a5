using System.CommandLine;
using GpuNet.Cli.Commands;

namespace GpuNet.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        // mpirun gives every rank a pseudo-terminal: .NET would then write terminal set-up and colour-reset escapes
        // into the job's output, which is read as a log. A dumb terminal has none (TERM is read at the console's
        // first use).
        if (GpuNet.Distributed.DataParallel.UnderMpirun) Environment.SetEnvironmentVariable("TERM", "dumb");
        var root = new RootCommand(
            "GpuNet: a deep-learning engine in C# with a managed CPU accelerator and ILGPU kernels on CUDA, OpenCL " +
            "and the CPU.\n" +
            "Trains LeNet-5 and AlexNet from image folders of JPEG, PNG, WebP, BMP or GIF files " +
            "(DIR/train/<class>/*, DIR/test/<class>/*).\n" +
            "Quick start: data-scripts/quickstart.sh fetches MNIST and trains LeNet-5 on the CPU.");
        root.Options.Add(Common.Verbose);
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        root.Subcommands.Add(SummaryCommand.Create());
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(DoctorCommand.Create());
        root.Subcommands.Add(ImportIdxCommand.Create());
        root.Subcommands.Add(MakeShapesCommand.Create());
        root.Subcommands.Add(PlotCommand.Create());
        root.Subcommands.Add(FiltersCommand.Create());
        root.Subcommands.Add(SplitExperimentCommand.Create());
        root.Subcommands.Add(ClassicCommands.Mlp());
        root.Subcommands.Add(ClassicCommands.Em());
        root.Subcommands.Add(ClassicCommands.Cluster());
        root.Subcommands.Add(ClassicCommands.Pca());
        // piped to a file or a CI log: plain text (no colour escapes), and 200 columns rather than Spectre's 80, which
        // wraps wide tables cell by cell; likewise under mpirun, which gives every rank a terminal of its own even when
        // the job's output goes to a file
        if (Console.IsOutputRedirected || GpuNet.Distributed.DataParallel.UnderMpirun)
        {
            Spectre.Console.AnsiConsole.Profile.Width = 200;
            Spectre.Console.AnsiConsole.Profile.Capabilities.Ansi = false;
            Spectre.Console.AnsiConsole.Profile.Capabilities.ColorSystem = Spectre.Console.ColorSystem.NoColors;
        }
        return root.Parse(args).Invoke();
    }
}

using System.Diagnostics;

namespace GpuNet.Tests;

/// <summary>Runs a program to completion and returns its exit code, standard output and standard error.</summary>
internal static class ChildProcess
{
    public static (int Code, string Out, string Err) Run(string file, IEnumerable<string> args,
        IReadOnlyDictionary<string, string>? env = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
            UseShellExecute = false
        };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, outTask.Result, err);
    }

    /// <summary>The real `gpunet` program (copied next to the tests), without colour, with extra environment.</summary>
    public static (int Code, string Out, string Err)
        Gpunet(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        GpunetIn(null, env, args);

    /// <summary>As <see cref="Gpunet"/>, started in <paramref name="workingDirectory"/>.</summary>
    public static (int Code, string Out, string Err) GpunetIn(string? workingDirectory,
        IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "gpunet.dll"), .. args],
            new Dictionary<string, string>(env ?? new Dictionary<string, string>()) { ["NO_COLOR"] = "1" },
                workingDirectory);
}

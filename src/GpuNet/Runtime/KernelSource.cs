using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace GpuNet.Runtime;

/// <summary>Which compiler a composed kernel source is for.</summary>
public enum KernelDialect { OpenCL, Cuda }

/// <summary>
/// The kernel sources under <c>kernels/</c>, embedded in the assembly. The source handed to a driver is composed in a
/// fixed order: defines, prelude (OpenCL or CUDA), common helpers, the kernel file.
/// </summary>
public static class KernelSource
{
    private static readonly Assembly Self = typeof(KernelSource).Assembly;

    /// <summary>Kernel files (one op family each), without the preludes and common helpers.</summary>
    public static IReadOnlyList<string> Files { get; } = Self.GetManifestResourceNames()
        .Where(n => n.StartsWith("kernels/") && n.EndsWith(".cl") && n != "kernels/common.cl")
        .Select(n => n["kernels/".Length..]).Order().ToArray();

    /// <summary>Every <c>__kernel</c> name of every kernel file, with its file.</summary>
    public static IReadOnlyList<(string File, string Kernel)> Kernels { get; } = Files
        .SelectMany(f => Regex.Matches(Read(f), @"__kernel\s+(?:REQD_WORK_GROUP_SIZE\([^)]*\)\s+)?void\s+(\w+)").Select(m => (f, m.Groups[1].Value)))
        .ToArray();

    public static string Read(string file)
    {
        using var s = Self.GetManifestResourceStream("kernels/" + file)
            ?? throw new FileNotFoundException($"kernel source kernels/{file} is not embedded in {Self.GetName().Name}");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>defines + prelude + common.cl + <paramref name="file"/>.</summary>
    public static string Compose(string file, KernelDialect dialect, IEnumerable<KeyValuePair<string, string>>? defines = null)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in defines ?? []) sb.Append("#define ").Append(k).Append(' ').Append(v).Append('\n');
        sb.Append(Read(dialect == KernelDialect.OpenCL ? "prelude_opencl.h" : "prelude_cuda.h")).Append('\n');
        sb.Append(Read("common.cl")).Append('\n');
        sb.Append(Read(file));
        return sb.ToString();
    }

    /// <summary>The kernel name of a C# op: <c>MaxPool2dForward</c> → <c>max_pool2d_forward</c>.</summary>
    public static string SnakeCase(string opName)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < opName.Length; i++)
        {
            char ch = opName[i];
            if (char.IsUpper(ch) && i > 0 && (char.IsLower(opName[i - 1]) || char.IsDigit(opName[i - 1]))) sb.Append('_');
            sb.Append(char.ToLowerInvariant(ch));
        }
        return sb.ToString();
    }
}

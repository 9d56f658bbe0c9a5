using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// The networks GpuNet ships: network files embedded in the library (<c>Networks/BuiltIn/NAME.yaml</c>), read by the
/// same reader as a user's. <c>--model NAME</c> resolves to them.
/// </summary>
public static class ModelZoo
{
    private const string Prefix = "GpuNet.Networks.BuiltIn.";
    private static readonly Lazy<Dictionary<string, NetworkDescription>> Shipped = new(Load);

    /// <summary>The shipped networks' names, sorted.</summary>
    public static IReadOnlyList<string> Names => Shipped.Value.Keys.Order(StringComparer.Ordinal).ToList();

    private static Dictionary<string, NetworkDescription> Load()
    {
        var asm = typeof(ModelZoo).Assembly;
        var all = new Dictionary<string, NetworkDescription>(StringComparer.Ordinal);
        foreach (var res in asm.GetManifestResourceNames().Where(r => r.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(asm.GetManifestResourceStream(res)!);
            var d = NetworkFile.Parse(reader.ReadToEnd(), $"built-in {res[Prefix.Length..]}");
            all.Add(d.Name, d);
        }
        return all;
    }

    /// <summary>
    /// The shipped network of that name (case and surrounding spaces ignored); unknown: an error listing them.
    /// </summary>
    public static NetworkDescription Describe(string name) =>
        Shipped.Value.TryGetValue(name.Trim().ToLowerInvariant(), out var d) ? d
            : throw new ArgumentException($"unknown model '{name}'; known models: {string.Join(", ", Names)} (or " +
                "give a network file with --network FILE.yaml)");

    /// <summary>The shipped network's text, as a starting point for one's own file.</summary>
    public static string Text(string name) => Describe(name).ToYaml();

    /// <summary>Per-sample input shape of a named model.</summary>
    public static int[] InputShape(string name) => Describe(name).InputShape;

    /// <summary>
    /// Default image transforms (<see cref="Data.Transform"/> specs) for training and evaluation: the description's
    /// (empty where it gives none: the images as they are).
    /// </summary>
    public static (string Train, string Eval) DefaultTransforms(string name) => DefaultTransforms(Describe(name));

    public static (string Train, string Eval) DefaultTransforms(NetworkDescription d) =>
        (d.TrainTransform ?? "", d.EvalTransform ?? "");

    /// <summary>The evaluation transform with its centre crop replaced by the paper's ten crops.</summary>
    public static string TenCropOf(string evalTransform) =>
        string.Join(",",
            evalTransform.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => s.StartsWith("center-crop:", StringComparison.OrdinalIgnoreCase) ? "ten-crop:"
                + s["center-crop:".Length..] : s));

    public static int DefaultClasses(string name) => Describe(name).Classes;

    /// <summary>The canonical name of a shipped network.</summary>
    public static string Canonical(string name) => Describe(name).Name;

    /// <summary>
    /// The shipped network on an accelerator, with <paramref name="classes"/> outputs (default: its own).
    /// </summary>
    public static Model Create(string name, Accelerator accelerator, int? classes = null)
    {
        var d = Describe(name);
        int k = classes ?? d.Classes;
        if (k < 2) throw new ArgumentException($"a classifier needs at least 2 classes, got {k}");
        return d.Build(accelerator, k);
    }
}

using System.Reflection;
using GpuNet.Layers;

namespace GpuNet.Networks;

/// <summary>
/// A setting a layer type takes: its name, what it holds, its default (null: required) and a line of help.
/// </summary>
public sealed record SettingSpec(string Name, string Kind, string? Default, string Help);

/// <summary>
/// A layer type that network files and the builder can name: its settings and how many inputs it reads, and how a
/// <see cref="Layer"/> is made from a <see cref="LayerArgs"/>. Built-in layers declare theirs beside their class
/// (<see cref="IDescribedLayer"/>); a user's is added with <see cref="LayerTypes.Register"/>.
/// </summary>
public sealed class LayerType
{
    public required string Name { get; init; }
    /// <summary>One line for the documentation and the unknown-type error.</summary>
    public required string Summary { get; init; }
    public IReadOnlyList<SettingSpec> Settings { get; init; } = [];
    public int MinInputs { get; init; } = 1;
    /// <summary>Most inputs (int.MaxValue: any number).</summary>
    public int MaxInputs { get; init; } = 1;
    public required Func<LayerArgs, Layer> Create { get; init; }
}

/// <summary>A layer class that declares the types network files name it by (e.g. Pool2d: maxpool, avgpool).</summary>
public interface IDescribedLayer
{
    static abstract IEnumerable<LayerType> Types { get; }
}

/// <summary>
/// The one registry of layer types: the built-in ones (every <see cref="IDescribedLayer"/> of GpuNet, found once) and
/// those a program registers. Network files, the builder and checkpoints all resolve types here.
/// </summary>
public static class LayerTypes
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, LayerType> Registered = BuiltIn();

    private static Dictionary<string, LayerType> BuiltIn()
    {
        var all = new Dictionary<string, LayerType>(StringComparer.Ordinal);
        foreach (var t in typeof(Layer).Assembly.GetTypes()
                     .Where(t => !t.IsAbstract && typeof(IDescribedLayer).IsAssignableFrom(t)).OrderBy(t => t.Name))
        {
            var types = (IEnumerable<LayerType>)t.GetProperty(nameof(IDescribedLayer.Types),
                BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            foreach (var lt in types) all.Add(lt.Name, lt);
        }
        return all;
    }

    /// <summary>Every known type name, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get { lock (Gate) return Registered.Keys.Order(StringComparer.Ordinal).ToList(); }
    }

    public static LayerType? Find(string name)
    {
        lock (Gate) return Registered.GetValueOrDefault(name);
    }

    /// <summary>
    /// Adds a layer type of one's own (a <see cref="Layer"/> subclass and its settings), usable from network files, the
    /// builder and checkpoints from then on. A name already taken is an <see cref="ArgumentException"/>.
    /// </summary>
    public static void Register(LayerType type)
    {
        ArgumentNullException.ThrowIfNull(type);
        if (!IsName(type.Name))
            throw new ArgumentException($"layer type name '{type.Name}' must be letters, digits, '_' or '-'");
        lock (Gate)
        {
            if (Registered.ContainsKey(type.Name))
                throw new ArgumentException($"layer type '{type.Name}' is already registered");
            Registered.Add(type.Name, type);
        }
    }

    internal static bool IsName(string s) => s.Length > 0
        && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>
    /// The known name closest to <paramref name="name"/> when it is a likely typo (edit distance ≤ 2).
    /// </summary>
    internal static string? Closest(string name, IEnumerable<string> known) =>
        known.Select(k => (k, d: Distance(name, k))).Where(x => x.d <= Math.Max(1, Math.Min(2, name.Length / 3)))
            .OrderBy(x => x.d).Select(x => x.k).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1),
                    d[i - 1, j - 1] + (char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1));
        return d[a.Length, b.Length];
    }
}

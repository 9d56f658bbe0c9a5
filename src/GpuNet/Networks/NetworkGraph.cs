using GpuNet.Layers;
using GpuNet.Models;
using GpuNet.Runtime;

namespace GpuNet.Networks;

/// <summary>
/// Turns a description into a <see cref="Model"/>: resolves each layer's type and inputs, checks its settings, and sets
/// the layers up; every problem is one <see cref="NetworkFileException"/> naming the file, line, column and layer.
/// </summary>
internal static class NetworkGraph
{
    public static Model Build(NetworkDescription d, Accelerator accelerator, int classes)
    {
        var graph = Layers(d, classes);
        var layers = graph.Select(g => g.Layer).ToList();
        try
        {
            return new Model(d.Name, accelerator, d.InputShape, graph, description: d);
        }
        catch (LayerSetupException e)
        {
            foreach (var l in layers) l.Dispose();
            var at = d.Layers[e.Layer];
            string hint = e.Problem.Contains("does not fit", StringComparison.Ordinal)
                ? "; make the kernel smaller, pad the input or take out a pooling layer before it" : "";
            throw new NetworkFileException(d.File, at.At, $"layer '{at.Name}' ({at.Type}): {e.Problem}{hint}", e);
        }
        catch
        {
            foreach (var l in layers) l.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Every layer made by its type from its settings (not yet set up: no shapes, no parameters), with the indices of
    /// what it reads.
    /// </summary>
    public static List<(Layer Layer, int[] Inputs)> Layers(NetworkDescription d, int classes)
    {
        if (classes < 1) throw d.Error(null, $"a network needs at least 1 output class, got {classes}");
        var inputs = Resolve(d);
        var list = new List<(Layer, int[])>();
        for (int i = 0; i < d.Layers.Count; i++)
        {
            var ld = d.Layers[i];
            var type = LayerTypes.Find(ld.Type)!;
            list.Add((type.Create(new LayerArgs(d, ld, type, classes, i)), inputs[i]));
        }
        return list;
    }

    /// <summary>
    /// Checks names, types, settings and inputs (no shapes: those need <see cref="Build"/>); returns each layer's
    /// inputs as indices (<see cref="Model.NetworkInput"/> for the input).
    /// </summary>
    public static int[][] Resolve(NetworkDescription d)
    {
        if (d.InputShape.Length is not (1 or 3) || d.InputShape.Any(s => s < 1))
            throw d.Error(d.InputAt, $"input shape is {Shapes.Format(d.InputShape)}, expected (C, H, W) or (F) of " +
                "positive sizes");
        if (d.Layers.Count == 0) throw d.Error(null, "the network has no layers; add a 'layers:' list");
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < d.Layers.Count; i++)
        {
            var l = d.Layers[i];
            if (!LayerTypes.IsName(l.Name))
                throw d.Error(l.Where("name"), $"layer name '{l.Name}' must be letters, digits, '_' or '-'");
            if (l.Name == NetworkDescription.InputName)
                throw d.Error(l.Where("name"), $"'{l.Name}' names the network's input; give the layer another name");
            if (index.TryGetValue(l.Name, out int first))
                throw d.Error(l.Where("name"), $"layer name '{l.Name}' is used twice (first at " +
                    $"{d.Layers[first].At?.ToString() ?? $"place {first + 1}"}); names must be unique");
            index[l.Name] = i;
        }
        var inputs = new int[d.Layers.Count][];
        var read = new bool[d.Layers.Count];
        for (int i = 0; i < d.Layers.Count; i++)
        {
            var l = d.Layers[i];
            var type = LayerTypes.Find(l.Type) ?? throw UnknownType(d, l);
            CheckSettings(d, l, type);
            inputs[i] = l.Inputs.Count == 0 ? [i - 1] : l.Inputs.Select(n => Input(d, index, i, n)).ToArray();
            if (inputs[i].Length < type.MinInputs || inputs[i].Length > type.MaxInputs)
                throw d.Error(l.Where("inputs"), $"layer '{l.Name}' ({l.Type}) reads " +
                    $"{(type.MaxInputs == 1 ? "one input" : $"at least {type.MinInputs} inputs")}, got " +
                    $"{inputs[i].Length}{(l.Inputs.Count == 0 ? " (the layer above)" : "")}; list them in 'inputs:'");
            if (inputs[i].Distinct().Count() != inputs[i].Length)
                throw d.Error(l.Where("inputs"), $"layer '{l.Name}' names the same input twice in " +
                    $"[{string.Join(", ", l.Inputs)}]");
            foreach (int j in inputs[i]) if (j >= 0) read[j] = true;
        }
        for (int i = 0; i + 1 < d.Layers.Count; i++)
            if (!read[i])
                throw d.Error(d.Layers[i].At, $"layer '{d.Layers[i].Name}' is read by no later layer; every layer " +
                    $"but the last (the network's output, here '{d.Layers[^1].Name}') must feed another — is an " +
                    "'inputs:' list missing it?");
        return inputs;
    }

    private static int Input(NetworkDescription d, Dictionary<string, int> index, int i, string name)
    {
        var l = d.Layers[i];
        if (name == NetworkDescription.InputName) return Model.NetworkInput;
        if (!index.TryGetValue(name, out int j))
        {
            string? near = LayerTypes.Closest(name, index.Keys.Take(i).Append(NetworkDescription.InputName));
            throw d.Error(l.Where("inputs"), $"layer '{l.Name}' reads '{name}', which is no layer of the network" +
                (near is null ? "" : $" (did you mean '{near}'?)"));
        }
        if (j == i)
            throw d.Error(l.Where("inputs"), $"layer '{l.Name}' reads itself: a cycle; a layer reads earlier layers " +
                "only");
        if (j > i)
        {
            bool cycle = Reaches(d, index, j, i);
            throw d.Error(l.Where("inputs"), $"layer '{l.Name}' reads '{name}', which comes later (at " +
                $"{d.Layers[j].At?.ToString() ?? $"place {j + 1}"})" + (cycle
                    ? $" and itself reads '{l.Name}': a cycle; a network is a graph without cycles"
                    : "; a layer reads earlier layers only: move it below"));
        }
        return j;
    }

    // whether layer `from` depends on layer `target` through the inputs as written
    private static bool Reaches(NetworkDescription d, Dictionary<string, int> index, int from, int target)
    {
        var seen = new HashSet<int>();
        var stack = new Stack<int>([from]);
        while (stack.Count > 0)
        {
            int k = stack.Pop();
            if (!seen.Add(k)) continue;
            var names = d.Layers[k].Inputs.Count == 0 ? (k > 0 ? [d.Layers[k - 1].Name] : []) : d.Layers[k].Inputs;
            foreach (var n in names)
                if (index.TryGetValue(n, out int j))
                {
                    if (j == target) return true;
                    stack.Push(j);
                }
        }
        return false;
    }

    private static NetworkFileException UnknownType(NetworkDescription d, LayerDescription l)
    {
        string? near = LayerTypes.Closest(l.Type, LayerTypes.Names);
        return d.Error(l.Where("type"), $"layer '{l.Name}' has unknown type '{l.Type}'" +
            (near is null ? "" : $" (did you mean '{near}'?)")
                + $"; known types: {string.Join(", ", LayerTypes.Names)}");
    }

    private static void CheckSettings(NetworkDescription d, LayerDescription l, LayerType type)
    {
        foreach (var (key, _) in l.Settings)
        {
            if (type.Settings.Any(s => s.Name == key)) continue;
            var known = type.Settings.Select(s => s.Name).ToList();
            string? near = LayerTypes.Closest(key, known);
            throw d.Error(l.Where(key), $"layer '{l.Name}' ({l.Type}) has unknown setting '{key}'" +
                (near is null ? "" : $" (did you mean '{near}'?)") + "; " + (known.Count == 0
                    ? $"{l.Type} takes none besides name, type and inputs"
                    : $"{l.Type} takes {string.Join(", ", known)}"));
        }
    }
}

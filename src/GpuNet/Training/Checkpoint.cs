using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime;

namespace GpuNet.Training;

/// <summary>A checkpoint read from disk and validated: string metadata and named float32 tensors.</summary>
public sealed class CheckpointFile
{
    /// <summary>The file it was read from (named by every error about it).</summary>
    public required string Path { get; init; }
    /// <summary>The header's <c>__metadata__</c>: string keys to string values (some hold JSON).</summary>
    public required Dictionary<string, string> Metadata { get; init; }
    /// <summary>Each tensor by name, in the header's order: its shape and its float32 values.</summary>
    public required Dictionary<string, (int[] Shape, float[] Data)> Tensors { get; init; }

    /// <summary>The metadata value of <paramref name="key"/> (missing: a <see cref="CheckpointException"/>).</summary>
    public string Get(string key) => Metadata.TryGetValue(key, out var v)
        ? v : throw new CheckpointException($"{Path}: metadata has no '{key}' entry; not a GpuNet checkpoint?");

    /// <summary>The value of <paramref name="key"/> read as JSON (bad: a <see cref="CheckpointException"/>).</summary>
    public T GetJson<T>(string key)
    {
        string text = Get(key);
        try
        {
            return JsonSerializer.Deserialize<T>(text)
                ?? throw new CheckpointException($"{Path}: metadata '{key}' is null, expected {typeof(T).Name}");
        }
        catch (JsonException e)
        {
            string expected = $"expected JSON of {typeof(T).Name} ({e.Message})";
            throw new CheckpointException($"{Path}: metadata '{key}' is {Checkpoint.Quote(text)}, {expected}", e);
        }
    }
}

/// <summary>A checkpoint that cannot be read or does not fit: the message names the file and what is wrong.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Checkpoints in the safetensors layout, which cannot execute code: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to dtype, shape and [begin, end) byte offsets (plus a string-to-string
/// <c>__metadata__</c>), then the raw little-endian float32 data. The metadata holds an XxHash64 of each tensor's
/// bytes (<see cref="ChecksumKey"/>), checked on reading. Written to a temporary file and renamed, so a crash or a full
/// disk never leaves a half-written checkpoint behind and keeps the previous one.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>The <c>format</c> metadata value of GpuNet checkpoints.</summary>
    public const string FormatVersion = "gpunet-1";

    /// <summary>
    /// Metadata key of the tensors' checksums: a JSON object of tensor name to the XxHash64 of its bytes as 16 hex
    /// digits. Checkpoints written before it existed have none and load unchecked.
    /// </summary>
    public const string ChecksumKey = "tensor_xxhash64";

    private const long MaxHeader = 100L << 20;

    /// <summary>
    /// Metadata key of the network's description (the network-file text), so a checkpoint restores its network without
    /// the file it was trained from. Checkpoints written before it existed name a shipped model under <c>model</c>.
    /// </summary>
    public const string NetworkKey = "network";

    /// <summary>
    /// The network a checkpoint holds: its description, read as a network file that errors name as the checkpoint's;
    /// an older checkpoint's shipped model by name.
    /// </summary>
    public static Networks.NetworkDescription Description(CheckpointFile file)
    {
        if (file.Metadata.TryGetValue(NetworkKey, out var yaml))
            return Networks.NetworkDescription.Parse(yaml, $"{file.Path} (its network description)");
        string name = file.Get("model");
        try { return ModelZoo.Describe(name); }
        catch (ArgumentException e) { throw new CheckpointException($"{file.Path}: {e.Message}", e); }
    }

    /// <summary>Writes device tensors (see the overload taking host data).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> metadata,
        IEnumerable<(string Name, Tensor Tensor)> tensors) =>
        Save(path, metadata, tensors.Select(t => (t.Name, t.Tensor.Shape, (Func<float[]>)t.Tensor.ToArray)));

    /// <summary>
    /// Writes tensors given as shapes and host data produced one at a time (so a large model is never held twice).
    /// The header is written first with placeholder checksums of the same width, then rewritten once the data is.
    /// A failure to write (a full disk) is an <see cref="IOException"/> naming the file; the previous file is kept.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> metadata,
        IEnumerable<(string Name, int[] Shape, Func<float[]> Data)> tensors)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only");
        var list = tensors.ToList();
        if (list.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new InvalidOperationException($"{path}: tensor '{twice.Key}' is given twice");
        var hashes = new ulong[list.Count];
        byte[] header = Header(metadata, list, hashes);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        AtomicFile.Write(path, fs =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            fs.Write(len);
            fs.Write(header);
            for (int i = 0; i < list.Count; i++)
            {
                var (name, shape, data) = list[i];
                var host = data();
                if (host.Length != Shapes.Product(shape))
                    throw new InvalidOperationException(
                        $"tensor '{name}': {host.Length} values for shape {Shapes.Format(shape)}");
                var bytes = MemoryMarshal.AsBytes(host.AsSpan());
                hashes[i] = XxHash64.HashToUInt64(bytes);
                fs.Write(bytes);
            }
            byte[] final = Header(metadata, list, hashes);
            if (final.Length != header.Length) throw new InvalidOperationException("checkpoint header changed length");
            fs.Position = 8;
            fs.Write(final);
        }, "checkpoint");
    }

    /// <summary>
    /// The JSON header, padded with spaces to 8-byte alignment as safetensors does. Checksums are fixed-width hex, so
    /// the header has the same length whatever their values.
    /// </summary>
    private static byte[] Header(IReadOnlyDictionary<string, string> metadata,
        List<(string Name, int[] Shape, Func<float[]> Data)> tensors, ulong[] hashes)
    {
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = FormatVersion };
        foreach (var (k, v) in metadata) meta[k] = v;
        var sums = new JsonObject();
        for (int i = 0; i < tensors.Count; i++) sums[tensors[i].Name] = hashes[i].ToString("x16");
        meta[ChecksumKey] = sums.ToJsonString();
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, shape, _) in tensors)
        {
            long bytes = (long)Shapes.Product(shape) * sizeof(float);
            header[name] = new JsonObject
            {
                ["dtype"] = "F32",
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = System.Text.Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        var result = new byte[padded];
        json.CopyTo(result, 0);
        result.AsSpan(json.Length).Fill((byte)' ');
        return result;
    }

    /// <summary>
    /// A network's parameters, and with <paramref name="optimizer"/> its state as "optimizer/NAME.SLOT", in the
    /// single-device layout: the parts a split network keeps on each device are gathered into one tensor each.
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape, Func<float[]> Data)> NetworkTensors(INetwork net,
        Optimizer? optimizer)
    {
        var state = optimizer?.StateTensors(net.Parameters).ToDictionary(s => s.Key, s => s.Tensor);
        var parts = net.Parameters.Select(p => (Param: p, Layout: net.Layout(p))).GroupBy(x => x.Layout.Name).ToList();
        foreach (var g in parts)
        {
            var shape = g.First().Layout.Shape;
            yield return (g.Key, shape, () => Gather(shape, g.Select(x => (x.Param.Data, x.Layout.Offset))));
        }
        if (optimizer is null) yield break;
        foreach (var slot in optimizer.Slots)
            foreach (var g in parts.Where(g => g.All(x => x.Param.Trainable)))
            {
                var shape = g.First().Layout.Shape;
                yield return ($"optimizer/{g.Key}.{slot}", shape,
                    () => Gather(shape, g.Select(x => (state![$"{x.Param.Name}.{slot}"], x.Layout.Offset))));
            }
    }

    private static float[] Gather(int[] shape, IEnumerable<(Tensor Part, long Offset)> parts)
    {
        var all = new float[Shapes.Product(shape)];
        foreach (var (part, offset) in parts) part.Accelerator.CopyToHost(part, all.AsSpan((int)offset, part.Length));
        return all;
    }

    /// <summary>
    /// Loads a single-device-layout checkpoint into any network (and the optimizer's state), checking names and shapes.
    /// </summary>
    public static void LoadNetwork(INetwork net, CheckpointFile file, Optimizer? optimizer = null)
    {
        if (file.Metadata.TryGetValue("model", out var name) && name != net.Name)
            throw new CheckpointException($"{file.Path}: checkpoint holds model '{name}', not '{net.Name}'");
        (int[] Shape, float[] Data) Find(string key, int[] shape, string what)
        {
            // a checkpoint holding its own description that disagrees with its tensors is a bad description
            bool described = file.Metadata.ContainsKey(NetworkKey) && what == "tensor";
            string layer = key.Contains('.') ? $" (layer '{key[..key.LastIndexOf('.')]}')" : "";
            if (!file.Tensors.TryGetValue(key, out var t))
                throw described
                    ? new Networks.NetworkFileException(file.Path, null, $"its network description does not match " +
                        $"its tensors: the description's {key}{layer} has no tensor in the file")
                    : new CheckpointException($"{file.Path}: {what} '{key}' of model '{net.Name}' is missing");
            if (!Shapes.Equal(t.Shape, shape))
                throw described
                    ? new Networks.NetworkFileException(file.Path, null, $"its network description does not match " +
                        $"its tensors: tensor '{key}' has shape {Shapes.Format(t.Shape)}, the description's " +
                        $"{key}{layer} needs {Shapes.Format(shape)}")
                    : new CheckpointException($"{file.Path}: tensor '{key}' has shape {Shapes.Format(t.Shape)}, " +
                        $"model '{net.Name}' needs {Shapes.Format(shape)}");
            return t;
        }
        var state = optimizer?.StateTensors(net.Parameters).ToDictionary(s => s.Key, s => s.Tensor);
        foreach (var p in net.Parameters)
        {
            var (single, shape, offset) = net.Layout(p);
            p.Data.CopyFrom(Find(single, shape, "tensor").Data.AsSpan((int)offset, p.Data.Length));
            if (optimizer is null || !p.Trainable) continue;
            foreach (var slot in optimizer.Slots)
                state![$"{p.Name}.{slot}"].CopyFrom(Find($"optimizer/{single}.{slot}", shape, "optimizer state")
                    .Data.AsSpan((int)offset, p.Data.Length));
        }
    }
}

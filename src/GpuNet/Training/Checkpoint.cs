using System.Buffers.Binary;
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
    public required string Path { get; init; }
    public required Dictionary<string, string> Metadata { get; init; }
    public required Dictionary<string, (int[] Shape, float[] Data)> Tensors { get; init; }

    public string Get(string key) => Metadata.TryGetValue(key, out var v) ? v : throw new CheckpointException($"{Path}: metadata has no '{key}' entry; not a GpuNet checkpoint?");
    public T GetJson<T>(string key) => JsonSerializer.Deserialize<T>(Get(key)) ?? throw new CheckpointException($"{Path}: metadata '{key}' is null");
}

public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Checkpoints in the safetensors layout, which cannot execute code: an 8-byte little-endian header length, a JSON
/// header mapping each tensor name to dtype, shape and [begin, end) byte offsets (plus a string-to-string
/// <c>__metadata__</c>), then the raw little-endian float32 data. Written to a temporary file and renamed, so a
/// crash never leaves a half-written checkpoint behind.
/// </summary>
public static class Checkpoint
{
    public const string FormatVersion = "gpunet-1";
    private const long MaxHeader = 100L << 20;

    public static void Save(string path, IReadOnlyDictionary<string, string> metadata, IEnumerable<(string Name, Tensor Tensor)> tensors) =>
        Save(path, metadata, tensors.Select(t => (t.Name, t.Tensor.Shape, (Func<float[]>)t.Tensor.ToArray)));

    /// <summary>Writes tensors given as shapes and host data produced one at a time (so a large model is never held twice).</summary>
    public static void Save(string path, IReadOnlyDictionary<string, string> metadata, IEnumerable<(string Name, int[] Shape, Func<float[]> Data)> tensors)
    {
        var list = tensors.ToList();
        var header = new JsonObject();
        var meta = new JsonObject { ["format"] = FormatVersion };
        foreach (var (k, v) in metadata) meta[k] = v;
        header["__metadata__"] = meta;
        long offset = 0;
        foreach (var (name, shape, _) in list)
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
        // pad the header with spaces to 8-byte alignment, as safetensors does
        int padded = (json.Length + 7) / 8 * 8;
        string tmp = path + $".tmp-{Environment.ProcessId}";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            fs.Write(len);
            fs.Write(json);
            for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
            foreach (var (name, shape, data) in list)
            {
                var host = data();
                if (host.Length != Shapes.Product(shape)) throw new InvalidOperationException($"tensor '{name}': {host.Length} values for shape {Shapes.Format(shape)}");
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("checkpoints are written on little-endian machines only");
                fs.Write(MemoryMarshal.AsBytes(host.AsSpan()));
            }
            fs.Flush(true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads and validates every offset and size against the file; a problem is one error naming the tensor.</summary>
    public static CheckpointFile Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint file does not exist");
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8) throw new CheckpointException($"{path}: {file.Length} bytes is too short for a checkpoint");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLen > (ulong)Math.Min(MaxHeader, file.Length - 8))
            throw new CheckpointException($"{path}: header length {headerLen} exceeds the file's {file.Length - 8} remaining bytes; not a checkpoint or truncated");
        JsonObject header;
        try { header = JsonNode.Parse(file.AsSpan(8, (int)headerLen))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        { throw new CheckpointException($"{path}: header is not valid JSON ({e.Message})", e); }

        long dataStart = 8 + (long)headerLen, dataLen = file.Length - dataStart;
        var metadata = new Dictionary<string, string>();
        var tensors = new Dictionary<string, (int[], float[])>();
        var ranges = new List<(long Begin, long End, string Name)>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v?.GetValue<string>() ?? "";
                continue;
            }
            try
            {
                var o = node!.AsObject();
                string dtype = o["dtype"]!.GetValue<string>();
                if (dtype != "F32") throw new CheckpointException($"{path}: tensor '{name}' has dtype {dtype}, expected F32");
                int[] shape = o["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                long begin = o["data_offsets"]![0]!.GetValue<long>(), end = o["data_offsets"]![1]!.GetValue<long>();
                long count = 1;
                foreach (int d in shape) { if (d < 0) throw new CheckpointException($"{path}: tensor '{name}' has negative dimension {d}"); count *= d; }
                if (begin < 0 || end < begin || end > dataLen)
                    throw new CheckpointException($"{path}: tensor '{name}' claims bytes [{begin}, {end}) but the data section holds {dataLen} bytes (truncated file?)");
                if (end - begin != count * sizeof(float))
                    throw new CheckpointException($"{path}: tensor '{name}' of shape {Shapes.Format(shape)} needs {count * 4} bytes, header gives {end - begin}");
                var data = new float[count];
                MemoryMarshal.Cast<byte, float>(file.AsSpan((int)(dataStart + begin), (int)(end - begin))).CopyTo(data);
                tensors[name] = (shape, data);
                ranges.Add((begin, end, name));
            }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or JsonException)
            { throw new CheckpointException($"{path}: tensor '{name}' has a malformed header entry ({e.Message})", e); }
        }
        ranges.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        for (int i = 1; i < ranges.Count; i++)
            if (ranges[i].Begin < ranges[i - 1].End)
                throw new CheckpointException($"{path}: tensors '{ranges[i - 1].Name}' and '{ranges[i].Name}' overlap in the data section");
        if (!metadata.TryGetValue("format", out var fmt) || fmt != FormatVersion)
            throw new CheckpointException($"{path}: not a GpuNet checkpoint (format '{fmt ?? "missing"}', expected '{FormatVersion}')");
        return new CheckpointFile { Path = path, Metadata = metadata, Tensors = tensors };
    }

    /// <summary>Copies every parameter of <paramref name="model"/> from the checkpoint, checking names and shapes.</summary>
    public static void LoadParameters(Model model, CheckpointFile file)
    {
        if (file.Metadata.TryGetValue("model", out var name) && name != model.Name)
            throw new CheckpointException($"{file.Path}: checkpoint holds model '{name}', not '{model.Name}'");
        foreach (var p in model.Parameters)
        {
            if (!file.Tensors.TryGetValue(p.Name, out var t))
                throw new CheckpointException($"{file.Path}: tensor '{p.Name}' of model '{model.Name}' is missing");
            if (!Shapes.Equal(t.Shape, p.Data.Shape))
                throw new CheckpointException($"{file.Path}: tensor '{p.Name}' has shape {Shapes.Format(t.Shape)}, model '{model.Name}' needs {Shapes.Format(p.Data.Shape)}");
            p.Data.CopyFrom(t.Data);
        }
    }

    /// <summary>
    /// A network's parameters, and with <paramref name="optimizer"/> its state as "optimizer/NAME.SLOT", in the
    /// single-device layout: the parts a split network keeps on each device are gathered into one tensor each.
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape, Func<float[]> Data)> NetworkTensors(INetwork net, Optimizer? optimizer)
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
                yield return ($"optimizer/{g.Key}.{slot}", shape, () => Gather(shape, g.Select(x => (state![$"{x.Param.Name}.{slot}"], x.Layout.Offset))));
            }
    }

    private static float[] Gather(int[] shape, IEnumerable<(Tensor Part, long Offset)> parts)
    {
        var all = new float[Shapes.Product(shape)];
        foreach (var (part, offset) in parts) part.Accelerator.CopyToHost(part, all.AsSpan((int)offset, part.Length));
        return all;
    }

    /// <summary>Loads a single-device-layout checkpoint into any network (and the optimizer's state), checking names and shapes.</summary>
    public static void LoadNetwork(INetwork net, CheckpointFile file, Optimizer? optimizer = null)
    {
        if (file.Metadata.TryGetValue("model", out var name) && name != net.Name)
            throw new CheckpointException($"{file.Path}: checkpoint holds model '{name}', not '{net.Name}'");
        (int[] Shape, float[] Data) Find(string key, int[] shape, string what)
        {
            if (!file.Tensors.TryGetValue(key, out var t))
                throw new CheckpointException($"{file.Path}: {what} '{key}' of model '{net.Name}' is missing");
            if (!Shapes.Equal(t.Shape, shape))
                throw new CheckpointException($"{file.Path}: tensor '{key}' has shape {Shapes.Format(t.Shape)}, model '{net.Name}' needs {Shapes.Format(shape)}");
            return t;
        }
        var state = optimizer?.StateTensors(net.Parameters).ToDictionary(s => s.Key, s => s.Tensor);
        foreach (var p in net.Parameters)
        {
            var (single, shape, offset) = net.Layout(p);
            p.Data.CopyFrom(Find(single, shape, "tensor").Data.AsSpan((int)offset, p.Data.Length));
            if (optimizer is null || !p.Trainable) continue;
            foreach (var slot in optimizer.Slots)
                state![$"{p.Name}.{slot}"].CopyFrom(Find($"optimizer/{single}.{slot}", shape, "optimizer state").Data.AsSpan((int)offset, p.Data.Length));
        }
    }
}

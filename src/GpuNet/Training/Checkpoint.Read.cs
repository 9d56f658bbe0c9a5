using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text.Json;
using GpuNet.Runtime;

namespace GpuNet.Training;

public static partial class Checkpoint
{
    /// <summary>
    /// Reads a checkpoint and checks all of it before anything uses it: the header length against the file, every
    /// header field's type, every tensor's dtype, shape and byte range against the data section, and each tensor's
    /// bytes against its checksum. Any problem is a <see cref="CheckpointException"/> naming the file and the field or
    /// tensor, with the value found and what was expected.
    /// </summary>
    public static CheckpointFile Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint file does not exist");
        byte[] file;
        try { file = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new CheckpointException($"{path}: cannot be read ({e.Message})", e); }
        if (file.Length < 8)
            throw new CheckpointException($"{path}: {file.Length} bytes is too short for a checkpoint");
        ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLen > (ulong)Math.Min(MaxHeader, file.Length - 8))
            throw new CheckpointException($"{path}: header length {headerLen} exceeds the file's {file.Length - 8} " +
                "remaining bytes; not a checkpoint or truncated");
        var headerBytes = file.AsMemory(8, (int)headerLen);
        if (System.Text.Unicode.Utf8.IsValid(headerBytes.Span) is false)
            throw new CheckpointException($"{path}: header is not UTF-8 text; not a checkpoint or damaged");
        JsonDocument doc;
        try { doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e) { throw new CheckpointException($"{path}: header is not valid JSON ({e.Message})", e); }
        using (doc)
        {
            // strings are unescaped as they are read; an escape of half a surrogate pair fails there
            try { return Interpret(path, doc.RootElement, file, 8 + (long)headerLen); }
            catch (InvalidOperationException e)
            { throw new CheckpointException($"{path}: header holds a string that is not valid text ({e.Message})", e); }
        }
    }

    private static CheckpointFile Interpret(string path, JsonElement header, byte[] file, long dataStart)
    {
        if (header.ValueKind != JsonValueKind.Object)
            throw new CheckpointException($"{path}: header is {Describe(header)}, expected a JSON object of tensors");
        var metadata = new Dictionary<string, string>();
        var entries = new List<(string Name, JsonElement Entry)>();
        var names = new HashSet<string>();
        foreach (var prop in header.EnumerateObject())
        {
            if (!names.Add(prop.Name))
                throw new CheckpointException($"{path}: '{prop.Name}' appears twice in the header");
            if (prop.Name == "__metadata__") ReadMetadata(path, prop.Value, metadata);
            else entries.Add((prop.Name, prop.Value));
        }
        if (!metadata.TryGetValue("format", out var fmt) || fmt != FormatVersion)
            throw new CheckpointException(
                $"{path}: not a GpuNet checkpoint (format '{fmt ?? "missing"}', expected '{FormatVersion}')");

        long dataLen = file.Length - dataStart;
        var ranges = entries.Select(e => ReadEntry(path, e.Name, e.Entry, dataLen)).ToList();
        var byOffset = ranges.OrderBy(r => r.Begin).ToList();
        for (int i = 1; i < byOffset.Count; i++)
            if (byOffset[i].Begin < byOffset[i - 1].End)
                throw new CheckpointException(
                    $"{path}: tensors '{byOffset[i - 1].Name}' and '{byOffset[i].Name}' overlap in the data section");
        if (metadata.TryGetValue(ChecksumKey, out var sums))
            VerifyChecksums(path, sums, byOffset.Select(r => (r.Name, dataStart + r.Begin, r.End - r.Begin)), file);

        var tensors = new Dictionary<string, (int[], float[])>();
        foreach (var (name, shape, begin, end) in ranges)
        {
            var data = new float[(end - begin) / sizeof(float)];
            MemoryMarshal.Cast<byte, float>(file.AsSpan((int)(dataStart + begin), (int)(end - begin))).CopyTo(data);
            tensors[name] = (shape, data);
        }
        return new CheckpointFile { Path = path, Metadata = metadata, Tensors = tensors };
    }

    private static void ReadMetadata(string path, JsonElement meta, Dictionary<string, string> metadata)
    {
        if (meta.ValueKind != JsonValueKind.Object)
            throw new CheckpointException($"{path}: __metadata__ is {Describe(meta)}, expected an object of strings");
        foreach (var (key, value) in meta.EnumerateObject().Select(p => (p.Name, p.Value)))
        {
            if (value.ValueKind != JsonValueKind.String)
                throw new CheckpointException($"{path}: metadata '{key}' is {Describe(value)}, expected a string");
            if (!metadata.TryAdd(key, value.GetString()!))
                throw new CheckpointException($"{path}: metadata '{key}' appears twice in __metadata__");
        }
    }

    /// <summary>One tensor's header entry, checked field by field and against the data section's length.</summary>
    private static (string Name, int[] Shape, long Begin, long End) ReadEntry(string path, string name,
        JsonElement entry, long dataLen)
    {
        string where = $"{path}: tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(
                $"{where} is {Describe(entry)} in the header, expected an object with dtype, shape and data_offsets");
        JsonElement Field(string field) => entry.TryGetProperty(field, out var v)
            ? v : throw new CheckpointException($"{where} has no '{field}' in the header");

        var dtype = Field("dtype");
        if (dtype.ValueKind != JsonValueKind.String || dtype.GetString() != "F32")
            throw new CheckpointException($"{where}: 'dtype' is {Describe(dtype)}, expected \"F32\" (float32)");

        var shapeField = Field("shape");
        if (shapeField.ValueKind != JsonValueKind.Array)
            throw new CheckpointException($"{where}: 'shape' is {Describe(shapeField)}, expected an array of sizes");
        var shape = new int[shapeField.GetArrayLength()];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            var d = shapeField[i];
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out shape[i]) || shape[i] < 0)
                throw new CheckpointException(
                    $"{where}: 'shape' has {Describe(d)} at index {i}, expected an integer from 0 to {int.MaxValue}");
            count = (long)Int128.Min((Int128)count * shape[i], long.MaxValue);
        }

        var offsets = Field("data_offsets");
        long begin = -1, end = -1;
        bool Offset(int i, out long value)
        {
            value = -1;
            return offsets[i].ValueKind == JsonValueKind.Number && offsets[i].TryGetInt64(out value) && value >= 0;
        }
        if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || !Offset(0, out begin) || !Offset(1, out end))
            throw new CheckpointException(
                $"{where}: 'data_offsets' is {Describe(offsets)}, expected two byte offsets [begin, end]");
        if (end < begin || end > dataLen)
            throw new CheckpointException($"{where} claims bytes [{begin}, {end}) but the data section holds " +
                $"{dataLen} bytes (truncated file?)");
        if ((end - begin) % sizeof(float) != 0 || (end - begin) / sizeof(float) != count)
            throw new CheckpointException($"{where} of shape {Shapes.Format(shape)} needs " +
                $"{(Int128)count * sizeof(float)} bytes, its data_offsets give {end - begin}");
        return (name, shape, begin, end);
    }

    /// <summary>Each tensor's bytes, in file order, against its XxHash64 in <see cref="ChecksumKey"/>.</summary>
    private static void VerifyChecksums(string path, string json,
        IEnumerable<(string Name, long Start, long Length)> tensors, byte[] file)
    {
        Dictionary<string, string>? sums;
        try { sums = JsonSerializer.Deserialize<Dictionary<string, string>>(json); }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: metadata '{ChecksumKey}' is {Quote(json)}, expected an object " +
                $"of tensor names to 16 hex digits ({e.Message})", e);
        }
        if (sums is null)
            throw new CheckpointException($"{path}: metadata '{ChecksumKey}' is null, expected an object of checksums");
        var seen = new HashSet<string>();
        foreach (var (name, start, length) in tensors)
        {
            seen.Add(name);
            if (!sums.TryGetValue(name, out var recorded))
                throw new CheckpointException($"{path}: tensor '{name}' has no checksum in metadata '{ChecksumKey}'");
            string actual = XxHash64.HashToUInt64(file.AsSpan((int)start, (int)length)).ToString("x16");
            if (!string.Equals(recorded, actual, StringComparison.OrdinalIgnoreCase))
                throw new CheckpointException($"{path}: tensor '{name}' does not match its checksum (recorded " +
                    $"{Quote(recorded)}, its bytes give {actual}); the file is damaged");
        }
        if (sums.Keys.FirstOrDefault(k => !seen.Contains(k)) is { } extra)
            throw new CheckpointException(
                $"{path}: metadata '{ChecksumKey}' has a checksum for tensor '{extra}', which the header lacks");
    }

    /// <summary>A JSON value for an error message: its kind and (shortened) text.</summary>
    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Object => $"an object {Quote(e.GetRawText())}",
        JsonValueKind.Array => $"an array {Quote(e.GetRawText())}",
        JsonValueKind.String => $"the string {Quote(e.GetRawText())}",
        JsonValueKind.Number => $"the number {Quote(e.GetRawText())}",
        _ => e.GetRawText(),
    };

    /// <summary>Text for an error message, cut to 60 characters.</summary>
    internal static string Quote(string text) => text.Length <= 60 ? text : text[..57] + "...";
}

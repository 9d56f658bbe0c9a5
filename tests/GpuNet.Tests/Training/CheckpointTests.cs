using System.Buffers.Binary;
using GpuNet.Models;
using GpuNet.Optim;
using GpuNet.Runtime.Cpu;
using GpuNet.Training;

namespace GpuNet.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-ckpt").FullName;
    private readonly CpuAccelerator _acc = new();
    public void Dispose() { _acc.Dispose(); Directory.Delete(_dir, true); }

    private string SaveLeNet(int seed, out Model model)
    {
        model = ModelZoo.Create("lenet5", _acc);
        Initializer.Apply(model, InitScheme.He, new Rng((ulong)seed));
        string path = Path.Combine(_dir, $"m{seed}.ckpt");
        Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "lenet5" },
            Checkpoint.NetworkTensors(model, optimizer: null));
        return path;
    }

    [Fact]
    public void Round_trip_restores_every_parameter_exactly_and_leaves_no_temp_file()
    {
        string path = SaveLeNet(1, out var a);
        using (a)
        using (var b = ModelZoo.Create("lenet5", _acc))
        {
            Checkpoint.LoadNetwork(b, Checkpoint.Read(path));
            foreach (var (pa, pb) in a.Parameters.Zip(b.Parameters)) Assert.Equal(pa.Data.ToArray(), pb.Data.ToArray());
        }
        Assert.Single(Directory.GetFiles(_dir));
        // the layout is safetensors: u64 header length, JSON header, data
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.StartsWith("{\"__metadata__\"", System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n));
        Assert.Equal(8 + (long)n + 61_706 * 4, bytes.Length);
    }

    [Theory]
    [InlineData("momentum")]
    [InlineData("adam")]
    public void Optimizer_state_round_trips_so_the_next_step_is_the_same(string name)
    {
        // production's path: a run saves NetworkTensors(model, optimizer) and resumes through LoadNetwork
        using var a = ModelZoo.Create("lenet5", _acc);
        using var b = ModelZoo.Create("lenet5", _acc);
        Initializer.Apply(a, InitScheme.He, new Rng(5));
        using var optA = Optimizer.Create(name, 0.01f);
        using var optB = Optimizer.Create(name, 0.01f);
        void RandomGradients(Model m)
        {
            var r = new Rng(8);
            foreach (var p in m.Parameters.Where(p => p.Trainable))
                p.Grad!.CopyFrom(Enumerable.Range(0, p.Grad.Length).Select(_ => (float)r.NextGaussian()).ToArray());
        }
        for (int i = 0; i < 3; i++) { RandomGradients(a); optA.Step(a.Parameters); }
        string path = Path.Combine(_dir, $"{name}.ckpt");
        Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "lenet5" },
            Checkpoint.NetworkTensors(a, optA));
        Checkpoint.LoadNetwork(b, Checkpoint.Read(path), optB);
        optB.StepCount = optA.StepCount;
        var stateA = optA.StateTensors(a.Parameters).ToList();
        var stateB = optB.StateTensors(b.Parameters).ToDictionary(s => s.Key, s => s.Tensor);
        Assert.NotEmpty(stateA);
        foreach (var (key, t) in stateA)
        {
            Assert.Contains(t.ToArray(), v => v != 0f);
            Assert.Equal(t.ToArray(), stateB[key].ToArray());
        }
        RandomGradients(a); optA.Step(a.Parameters);
        RandomGradients(b); optB.Step(b.Parameters);
        foreach (var (pa, pb) in a.Parameters.Zip(b.Parameters)) Assert.Equal(pa.Data.ToArray(), pb.Data.ToArray());
    }

    [Fact]
    public void Truncated_file_names_the_tensor_that_runs_past_the_end()
    {
        string path = SaveLeNet(2, out var m);
        m.Dispose();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^100]);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path));
        Assert.Contains("fc2.weight", e.Message);   // the first tensor that runs past the end
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Checkpoint_of_another_model_is_refused_by_name()
    {
        string path = SaveLeNet(3, out var m);
        m.Dispose();
        using var other = ModelZoo.Create("alexnet-small", _acc);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadNetwork(other, Checkpoint.Read(path)));
        Assert.Contains("holds model 'lenet5', not 'alexnet-small'", e.Message);
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor()
    {
        string path = SaveLeNet(4, out var m);
        m.Dispose();
        using var twelve = ModelZoo.Create("lenet5", _acc, 12);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadNetwork(twelve, Checkpoint.Read(path)));
        Assert.Contains("'fc2.weight' has shape (10, 84)", e.Message);
    }

    [Fact]
    public void Garbage_and_foreign_files_are_clear_errors()
    {
        string junk = Path.Combine(_dir, "junk.ckpt");
        File.WriteAllText(junk, "this is not a checkpoint at all");
        Assert.Contains("header length", Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
        // a valid safetensors file that is not ours
        var header =
            System.Text.Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(junk, bytes);
        Assert.Contains("not a GpuNet checkpoint",
            Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
        // overlapping offsets
        header = System.Text.Encoding.UTF8.GetBytes(
            "{\"__metadata__\":{\"format\":\"gpunet-1\"}," +
            "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}," +
            "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}");
        bytes = new byte[8 + header.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(junk, bytes);
        Assert.Contains("overlap", Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
    }

    /// <summary>A checkpoint written by hand: the 8-byte length, <paramref name="header"/> and zeroed data.</summary>
    private string WriteRaw(string name, string header, int dataBytes)
    {
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Damaged_tensor_data_names_the_first_tensor_whose_checksum_does_not_match()
    {
        string path = SaveLeNet(5, out var m);
        var file = Checkpoint.Read(path);
        m.Dispose();
        var bytes = File.ReadAllBytes(path);
        long dataStart = 8 + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        // one flipped bit in conv2.weight and one in fc2.bias: conv2.weight comes first in the data
        var names = file.Tensors.Keys.ToList();
        long Offset(string tensor) =>
            dataStart + 4 * names.TakeWhile(n => n != tensor).Sum(n => (long)file.Tensors[n].Data.Length);
        bytes[Offset("conv2.weight") + 37] ^= 0x10;
        bytes[Offset("fc2.bias") + 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("'conv2.weight'", e.Message);
        Assert.Contains("checksum", e.Message);
        Assert.DoesNotContain("fc2.bias", e.Message);
    }

    [Fact]
    public void Checkpoints_without_checksums_still_load()
    {
        string path = WriteRaw("old.ckpt", "{\"__metadata__\":{\"format\":\"gpunet-1\",\"model\":\"x\"}," +
            "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        var file = Checkpoint.Read(path);
        Assert.Equal([0f, 0f], file.Tensors["w"].Data);
        Assert.Equal("x", file.Get("model"));
    }

    private const string Meta = "\"__metadata__\":{\"format\":\"gpunet-1\"}";
    private const string Offsets = "\"data_offsets\":[0,4]";

    [Theory]
    [InlineData("null", "header")]
    [InlineData("[1, 2]", "header")]
    [InlineData("\"text\"", "header")]
    [InlineData("{\"__metadata__\":null}", "__metadata__")]
    [InlineData("{\"__metadata__\":[1]}", "__metadata__")]
    [InlineData("{\"__metadata__\":{\"format\":1}}", "'format'")]
    [InlineData("{\"__metadata__\":{\"format\":\"gpunet-1\",\"model\":null}}", "'model'")]
    [InlineData("{" + Meta + ",\"w\":\"x\"}", "'w'")]
    [InlineData("{" + Meta + ",\"w\":null}", "'w'")]
    [InlineData("{" + Meta + ",\"w\":[1]}", "'w'")]
    [InlineData("{" + Meta + ",\"w\":{\"shape\":[1]," + Offsets + "}}", "dtype")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":5,\"shape\":[1]," + Offsets + "}}", "dtype")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F16\",\"shape\":[1]," + Offsets + "}}", "dtype")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\"," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":\"1\"," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1.5]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[null]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[\"1\"]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[-1]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536,65536]," + Offsets + "}}", "shape")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":null}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"a\":0}}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,1e30]}}", "data_offsets")]
    [InlineData("{" + Meta + ",\"w\":{\"dtype\":\"F32\",\"shape\":[1]," + Offsets + "},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1]," + Offsets + "}}", "'w'")]
    [InlineData("{\"__metadata__\":{\"format\":\"gpunet-1\",\"tensor_xxhash64\":\"[1]\"},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1]," + Offsets + "}}", "tensor_xxhash64")]
    [InlineData("{\"__metadata__\":{\"format\":\"gpunet-1\",\"tensor_xxhash64\":\"{}\"},"
        + "\"w\":{\"dtype\":\"F32\",\"shape\":[1]," + Offsets + "}}", "'w'")]
    public void Every_header_field_is_type_checked_and_named(string header, string field)
    {
        string path = WriteRaw("bad.ckpt", header, 4);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void Metadata_values_that_are_not_the_expected_JSON_are_checkpoint_errors()
    {
        string path = WriteRaw("meta.ckpt", "{\"__metadata__\":{\"format\":\"gpunet-1\",\"classes\":\"[1,\"}}", 0);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path).GetJson<string[]>("classes"));
        Assert.Contains(path, e.Message);
        Assert.Contains("'classes'", e.Message);
    }

    [Fact]
    public void A_failed_save_leaves_the_old_checkpoint_loadable_and_removes_its_temp_file()
    {
        string path = SaveLeNet(6, out var a);
        var before = File.ReadAllBytes(path);
        try
        {
            AtomicFile.BeforeRename = p => { if (p == path) throw new IOException("No space left on device"); };
            var e = Assert.Throws<IOException>(() =>
                Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "lenet5" },
                    a.Parameters.Select(p => (p.Name, p.Data))));
            Assert.Contains(path, e.Message);
            Assert.Contains("No space left on device", e.Message);
            Assert.Contains("previous checkpoint is kept", e.Message);
        }
        finally { AtomicFile.BeforeRename = null; a.Dispose(); }
        Assert.Equal(before, File.ReadAllBytes(path));
        Checkpoint.Read(path);
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void A_failed_copy_leaves_the_old_file_and_removes_its_temp_file()
    {
        string from = Path.Combine(_dir, "from"), to = Path.Combine(_dir, "to");
        File.WriteAllText(from, "new");
        File.WriteAllText(to, "old");
        try
        {
            AtomicFile.BeforeRename = p => { if (p == to) throw new IOException("No space left on device"); };
            var e = Assert.Throws<IOException>(() => AtomicFile.Copy(from, to, "checkpoint"));
            Assert.Contains(to, e.Message);
            Assert.Contains("previous checkpoint is kept", e.Message);
        }
        finally { AtomicFile.BeforeRename = null; }
        Assert.Equal("old", File.ReadAllText(to));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
        AtomicFile.Copy(from, to, "checkpoint");
        Assert.Equal("new", File.ReadAllText(to));
        Assert.Equal(2, Directory.GetFiles(_dir).Length);
    }

    /// <summary>
    /// Random damage to a real checkpoint (bit flips, truncations, other header lengths, bytes inserted into or
    /// removed from the header): each case loads or is a <see cref="CheckpointException"/> naming the file, and damage
    /// confined to the tensor data never loads.
    /// </summary>
    [Fact]
    public void Fuzzed_checkpoints_load_or_give_a_checkpoint_error_and_nothing_else()
    {
        string good = Path.Combine(_dir, "good.ckpt"), path = Path.Combine(_dir, "fuzz.ckpt");
        {
            using var a = _acc.Zeros(3, 4); using var b = _acc.Zeros(5); using var c = _acc.Zeros(2, 1, 3);
            a.CopyFrom(Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray());
            b.CopyFrom([1f, -2f, 3f, float.MaxValue, 1e-30f]);
            var meta = new Dictionary<string, string> { ["model"] = "lenet5", ["classes"] = "[\"a\",\"b\"]" };
            Checkpoint.Save(good, meta,
                [("a", a), ("b", b), ("optimizer/a.velocity", c)]);
        }
        var original = File.ReadAllBytes(good);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        var rng = new Random(20240611);
        var failures = new List<string>();
        const string JsonChars = "{}[]\":,-.0123456789eEnul \\";
        static byte JsonByte(Random rng) => (byte)JsonChars[rng.Next(JsonChars.Length)];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3000; i++)
        {
            var bytes = original.ToList();
            int mode = i % 6;
            switch (mode)
            {
                case 0:   // bit flips anywhere
                    for (int k = rng.Next(1, 5); k > 0; k--) bytes[rng.Next(bytes.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:   // JSON punctuation and digits in the header
                    for (int k = rng.Next(1, 4); k > 0; k--) bytes[rng.Next(8, headerEnd)] = JsonByte(rng);
                    break;
                case 2:   // truncation
                    bytes = bytes.Take(rng.Next(bytes.Count)).ToList();
                    break;
                case 3:   // another header length
                    {
                        ulong[] lengths = [0, 1, 2, 7, 8, (ulong)headerEnd - 9, (ulong)headerEnd - 7, (ulong)headerEnd,
                        (ulong)bytes.Count - 8, (ulong)bytes.Count, uint.MaxValue, long.MaxValue, ulong.MaxValue,
                        (ulong)rng.NextInt64(), (ulong)rng.Next(headerEnd + 64)];
                        var len = new byte[8];
                        BinaryPrimitives.WriteUInt64LittleEndian(len, lengths[rng.Next(lengths.Length)]);
                        for (int k = 0; k < 8; k++) bytes[k] = len[k];
                        break;
                    }
                case 4:   // bytes inserted into or removed from the header, the length adjusted or not
                    {
                        int at = rng.Next(8, headerEnd), n = rng.Next(1, 9);
                        if (rng.Next(2) == 0) bytes.InsertRange(at, Enumerable.Range(0, n).Select(_ => JsonByte(rng)));
                        else { n = Math.Min(n, headerEnd - at); bytes.RemoveRange(at, n); n = -n; }
                        if (rng.Next(2) == 0)
                        {
                            var len = new byte[8];
                            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(headerEnd - 8 + n));
                            for (int k = 0; k < 8; k++) bytes[k] = len[k];
                        }
                        break;
                    }
                case 5:   // damage confined to the tensor data
                    for (int k = rng.Next(1, 4); k > 0; k--)
                        bytes[rng.Next(headerEnd, bytes.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
            }
            File.WriteAllBytes(path, bytes.ToArray());
            try
            {
                Checkpoint.Read(path);
                if (mode == 5) failures.Add($"case {i}: damaged tensor data loaded");
            }
            catch (CheckpointException e) when (e.Message.StartsWith(path)) { }
            catch (Exception e) { failures.Add($"case {i} (mode {mode}): {e.GetType().Name}: {e.Message}"); }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of 3000 cases:\n" + string.Join("\n", failures.Take(10)));
        Assert.True(clock.Elapsed.TotalSeconds < 20, $"the fuzz took {clock.Elapsed.TotalSeconds:F1} s");
    }
}

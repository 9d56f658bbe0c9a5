using System.Buffers.Binary;
using GpuNet.Models;
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
        Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "lenet5" }, model.Parameters.Select(p => (p.Name, p.Data)));
        return path;
    }

    [Fact]
    public void Round_trip_restores_every_parameter_exactly_and_leaves_no_temp_file()
    {
        string path = SaveLeNet(1, out var a);
        using (a)
        using (var b = ModelZoo.Create("lenet5", _acc))
        {
            Checkpoint.LoadParameters(b, Checkpoint.Read(path));
            foreach (var (pa, pb) in a.Parameters.Zip(b.Parameters)) Assert.Equal(pa.Data.ToArray(), pb.Data.ToArray());
        }
        Assert.Single(Directory.GetFiles(_dir));
        // the layout is safetensors: u64 header length, JSON header, data
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.StartsWith("{\"__metadata__\"", System.Text.Encoding.UTF8.GetString(bytes, 8, (int)n));
        Assert.Equal(8 + (long)n + 61_706 * 4, bytes.Length);
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
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(other, Checkpoint.Read(path)));
        Assert.Contains("holds model 'lenet5', not 'alexnet-small'", e.Message);
    }

    [Fact]
    public void Shape_mismatch_names_the_tensor()
    {
        string path = SaveLeNet(4, out var m);
        m.Dispose();
        using var twelve = ModelZoo.Create("lenet5", _acc, 12);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.LoadParameters(twelve, Checkpoint.Read(path)));
        Assert.Contains("'fc2.weight' has shape (10, 84)", e.Message);
    }

    [Fact]
    public void Garbage_and_foreign_files_are_clear_errors()
    {
        string junk = Path.Combine(_dir, "junk.ckpt");
        File.WriteAllText(junk, "this is not a checkpoint at all");
        Assert.Contains("header length", Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
        // a valid safetensors file that is not ours
        var header = System.Text.Encoding.UTF8.GetBytes("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(junk, bytes);
        Assert.Contains("not a GpuNet checkpoint", Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
        // overlapping offsets
        header = System.Text.Encoding.UTF8.GetBytes("{\"__metadata__\":{\"format\":\"gpunet-1\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}");
        bytes = new byte[8 + header.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        File.WriteAllBytes(junk, bytes);
        Assert.Contains("overlap", Assert.Throws<CheckpointException>(() => Checkpoint.Read(junk)).Message);
    }
}

using GpuNet.Runtime;
using GpuNet.Runtime.Ilgpu;

namespace GpuNet.Tests.Ops;

/// <summary>
/// Opening devices by name, on any machine: what is there opens, what is not says why and what to install.
/// </summary>
public sealed class DeviceTests
{
    [Fact]
    public void Cuda_opens_through_ilgpu_or_says_what_to_install_and_which_devices_exist()
    {
        if (IlgpuDevices.Cuda.Count == 0)
        {
            var e = Assert.Throws<ArgumentException>(() => Devices.Open("cuda"));
            Assert.Contains("CUDA is unavailable", e.Message);
            Assert.Contains(Devices.CudaUnavailable!, e.Message);
            Assert.Contains("available: cpu", e.Message);
            Assert.Contains(Devices.Unavailable(), line => line.StartsWith("CUDA: "));
            Assert.DoesNotContain(Devices.Available(), n => n.StartsWith("cuda"));
        }
        else
        {
            using var acc = Devices.Open("cuda");
            Assert.Equal(AcceleratorKind.Cuda, acc.Kind);
            var e = Assert.Throws<ArgumentException>(() => Devices.Open("cuda:99"));
            Assert.Contains($"cuda:0 to cuda:{IlgpuDevices.Cuda.Count - 1}", e.Message);
        }
    }

    [Fact]
    public void Opencl_devices_ilgpu_cannot_use_are_listed_with_the_reason()
    {
        if (IlgpuDevices.OpenCL.Count > 0) return;   // a usable device: nothing to explain
        string why = Devices.OpenClUnavailable!;
        Assert.Contains(Devices.Unavailable(), line => line == $"OpenCL: {why}");
        foreach (var rejected in IlgpuDevices.OpenClRejected) Assert.Contains(rejected, why);
        var e = Assert.Throws<ArgumentException>(() => Devices.Open("opencl:0"));
        Assert.Contains("OpenCL is unavailable", e.Message);
    }

    [Fact]
    public void Ilgpu_cpu_is_always_there_and_the_same_device_twice_gives_two_accelerators()
    {
        Assert.Contains("ilgpu-cpu", Devices.Available());
        var (a, b) = Devices.OpenPair("ilgpu-cpu,ilgpu-cpu");
        using (a)
        using (b)
        {
            Assert.Equal(("ilgpu-cpu#0", "ilgpu-cpu#1"), (a.Name, b.Name));
            Assert.NotSame(a, b);
            Assert.True(a.CanCopyFromPeer(b) && b.CanCopyFromPeer(a));
            using var x = a.FromHost([1f, 2f, 3f], 3);
            using var y = b.Zeros(3);
            b.CopyFromPeer(x, y);
            Assert.Equal([1f, 2f, 3f], y.ToArray());
            using var cpu = Devices.Open("cpu");
            Assert.False(a.CanCopyFromPeer(cpu));
            Assert.Throws<ArgumentException>(() => cpu.CopyFromPeer(x, cpu.Zeros(3)));
        }
        var e = Assert.Throws<ArgumentException>(() => Devices.Open("gpu7"));
        Assert.Contains("unknown device 'gpu7'; available: cpu", e.Message);
    }
}

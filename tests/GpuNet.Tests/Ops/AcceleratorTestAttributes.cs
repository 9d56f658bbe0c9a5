using GpuNet.Runtime;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace GpuNet.Tests.Ops;

/// <summary>
/// Marks a test class whose accelerator or tool may be missing on a machine ("cuda", "opencl", "turbojpeg", "mpirun",
/// "python3-onnx").
/// Its [AcceleratorFact]/[AcceleratorTheory] tests are reported as skipped, with what to install, instead of failing.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class RequiresAcceleratorAttribute(string kind) : Attribute
{
    public string Kind { get; } = kind;

    /// <summary>Null when the accelerator is there, else why not.</summary>
    public static string? SkipReason(string kind) => kind switch
    {
        "cuda" => Devices.CudaUnavailable is { } why ? $"no CUDA device ({why})" : null,
        "opencl" => Devices.OpenClUnavailable,
        "turbojpeg" => GpuNet.Data.TurboJpeg.Unavailable,
        "mpirun" => GpuNet.Tests.Cli.MpiCliTests.Unavailable,
        "python3-onnx" => GpuNet.Tests.Export.PythonOnnx.Unavailable,
        _ => $"unknown accelerator requirement '{kind}'",
    };
}

[XunitTestCaseDiscoverer("GpuNet.Tests.Ops.AcceleratorFactDiscoverer", "GpuNet.Tests")]
public sealed class AcceleratorFactAttribute : FactAttribute;

[XunitTestCaseDiscoverer("GpuNet.Tests.Ops.AcceleratorTheoryDiscoverer", "GpuNet.Tests")]
public sealed class AcceleratorTheoryAttribute : TheoryAttribute;

internal static class Requirement
{
    public static string? SkipReason(ITestMethod method)
    {
        var attr = method.TestClass.Class.GetCustomAttributes(typeof(RequiresAcceleratorAttribute)
            .AssemblyQualifiedName).FirstOrDefault();
        return attr is null ? null
            : RequiresAcceleratorAttribute.SkipReason(attr.GetConstructorArguments().First()!.ToString()!);
    }
}

public sealed class AcceleratorFactDiscoverer(IMessageSink sink) : FactDiscoverer(sink)
{
    private readonly IMessageSink _sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method,
        IAttributeInfo fact) =>
        Requirement.SkipReason(method) is { } reason
            ? [new SkippedTestCase(_sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(),
                method, reason)]
            : base.Discover(options, method, fact);
}

public sealed class AcceleratorTheoryDiscoverer(IMessageSink sink) : TheoryDiscoverer(sink)
{
    private readonly IMessageSink _sink = sink;

    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions options, ITestMethod method,
        IAttributeInfo theory) =>
        Requirement.SkipReason(method) is { } reason
            ? [new SkippedTestCase(_sink, options.MethodDisplayOrDefault(), options.MethodDisplayOptionsOrDefault(),
                method, reason)]
            : base.Discover(options, method, theory);
}

/// <summary>A test case reported as skipped with a reason decided at discovery time.</summary>
public sealed class SkippedTestCase : XunitTestCase
{
    private string _reason = "";

    [Obsolete("Called by the de-serializer", true)]
    public SkippedTestCase() { }

    public SkippedTestCase(IMessageSink sink, TestMethodDisplay display, TestMethodDisplayOptions displayOptions,
        ITestMethod method, string reason)
        : base(sink, display, displayOptions, method) => _reason = reason;

    protected override string GetSkipReason(IAttributeInfo factAttribute) => _reason;

    public override void Serialize(IXunitSerializationInfo data)
    {
        base.Serialize(data);
        data.AddValue("Reason", _reason);
    }
    public override void Deserialize(IXunitSerializationInfo data)
    {
        _reason = data.GetValue<string>("Reason");
        base.Deserialize(data);
    }
}

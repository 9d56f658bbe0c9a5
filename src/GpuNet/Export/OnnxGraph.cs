using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace GpuNet.Export;

/// <summary>An ONNX graph under construction: nodes, initializers and typed inputs and outputs.</summary>
internal sealed class OnnxGraph(string name)
{
    private const int Float = 1, Int64 = 7;   // TensorProto.DataType

    public GraphProto Proto { get; } = new() { Name = name };

    /// <summary>Adds a node of <paramref name="op"/> producing one tensor named <paramref name="output"/>.</summary>
    public string Node(string op, string nodeName, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
        return output;
    }

    /// <summary>Adds a node with several outputs.</summary>
    public void Node(string op, string nodeName, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Proto.Node.Add(node);
    }

    /// <summary>A float32 constant (weights), stored as little-endian raw data.</summary>
    public string Constant(string tensorName, int[] shape, float[] data)
    {
        var t = new TensorProto { Name = tensorName, DataType = Float };
        t.Dims.AddRange(shape.Select(d => (long)d));
        t.RawData = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        Proto.Initializer.Add(t);
        return tensorName;
    }

    /// <summary>A one-dimensional int64 constant (e.g. Split's sizes).</summary>
    public string Constant(string tensorName, long[] values)
    {
        var t = new TensorProto { Name = tensorName, DataType = Int64 };
        t.Dims.Add(values.Length);
        t.Int64Data.AddRange(values);
        Proto.Initializer.Add(t);
        return tensorName;
    }

    /// <summary>A float32 tensor type whose first dimension is the symbolic <paramref name="batch"/>.</summary>
    public static ValueInfoProto Value(string tensorName, string batch, IEnumerable<int> dims)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimParam = batch });
        foreach (int d in dims) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = tensorName,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = Float, Shape = shape } },
        };
    }

    /// <summary>Renames a tensor wherever a node reads or writes it.</summary>
    public void Rename(string from, string to)
    {
        foreach (var node in Proto.Node)
        {
            for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == from) node.Input[i] = to;
            for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == from) node.Output[i] = to;
        }
    }

    public static AttributeProto Attr(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Attr(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    public static AttributeProto Attr(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}

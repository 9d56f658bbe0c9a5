using GpuNet.Layers;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// AlexNet split across two devices the way the 2012 network ran on two GTX 580s. Each tower holds half of every
/// layer's channels: conv1, conv2, conv4, conv5 (and their LRN and pooling) see only their own tower; conv3, fc6 and fc7
/// see both towers' outputs, which the graph copies across devices (and whose gradients it copies back), counting every
/// byte; fc8 sits on the first device and takes both towers' fc7. Layers never know about devices: each stage is an
/// ordinary <see cref="Model"/> on its tower's accelerator, and the copies happen here, between stages.
/// </summary>
/// <remarks>
/// Parameters map to the single-device grouped model (<see cref="ModelZoo"/>, whose LRN also normalises within each
/// half) by one rule: tower t holds row block t (along dimension 0) of every parameter of conv1–fc7, and fc8 is whole.
/// </remarks>
public sealed class TwoTowerAlexNet : INetwork
{
    private readonly Accelerator[] _dev;
    private readonly Model[][] _stage;          // [tower][0: conv1..pool2, 1: conv3..pool5, 2: fc6, 3: fc7]
    private readonly Model _head;               // fc8 on device 0
    private readonly Dictionary<string, Tensor> _buffers = [];
    private readonly Dictionary<int, float[]> _host = [];   // host staging per copy size, reused every step
    private int _n;
    private Tensor? _logits;

    public TwoTowerAlexNet(string name, Accelerator first, Accelerator second, int? classes = null)
    {
        Name = ModelZoo.Canonical(name);
        if (Name == "lenet5") throw new ArgumentException("only alexnet and alexnet-small have two towers");
        int div = Name == "alexnet" ? 1 : 4, fc = 4096 / div / (div > 1 ? 4 : 1);
        int k1 = 96 / div, k2 = 256 / div, k3 = 384 / div, k4 = 384 / div, k5 = 256 / div;
        Classes = classes ?? ModelZoo.DefaultClasses(Name);
        InputShape = ModelZoo.InputShape(Name);
        _dev = [first, second];
        var lrn = new LrnParameters(5, 1e-4f, 0.75f, 2f);   // within the tower's own channels
        _stage = new Model[2][];
        for (int t = 0; t < 2; t++)
        {
            string P(string layer) => $"tower{t}.{layer}";
            var acc = _dev[t];
            var s1 = new Model(P("features"), acc, InputShape,
            [
                new Conv2d(P("conv1"), k1 / 2, 11, 4), new Activation(P("relu1"), ActivationKind.Relu), new Lrn(P("norm1"), lrn), new Pool2d(P("pool1"), true, 3, 2),
                new Conv2d(P("conv2"), k2 / 2, 5, 1, 2), new Activation(P("relu2"), ActivationKind.Relu), new Lrn(P("norm2"), lrn), new Pool2d(P("pool2"), true, 3, 2),
            ]);
            int[] p2 = s1.OutputShape;
            var s2 = new Model(P("conv3-5"), acc, [2 * p2[0], p2[1], p2[2]],
            [
                new Conv2d(P("conv3"), k3 / 2, 3, 1, 1), new Activation(P("relu3"), ActivationKind.Relu),
                new Conv2d(P("conv4"), k4 / 2, 3, 1, 1), new Activation(P("relu4"), ActivationKind.Relu),
                new Conv2d(P("conv5"), k5 / 2, 3, 1, 1), new Activation(P("relu5"), ActivationKind.Relu), new Pool2d(P("pool5"), true, 3, 2),
                new Flatten(P("flatten")),
            ], propagateToInput: true);
            int flat = s2.OutputShape[0];
            var s3 = new Model(P("fc6"), acc, [2 * flat],
                [new Dense(P("fc6"), fc / 2), new Activation(P("relu6"), ActivationKind.Relu), new Dropout(P("drop6"), 0.5f, 6, t * fc / 2, fc)], propagateToInput: true);
            var s4 = new Model(P("fc7"), acc, [fc],
                [new Dense(P("fc7"), fc / 2), new Activation(P("relu7"), ActivationKind.Relu), new Dropout(P("drop7"), 0.5f, 7, t * fc / 2, fc)], propagateToInput: true);
            _stage[t] = [s1, s2, s3, s4];
        }
        _head = new Model("head", first, [fc], [new Dense("fc8", Classes)], propagateToInput: true);
        foreach (var p in Parameters)
            if (p.Role == ParameterRole.Bias && (p.Name.EndsWith(".conv2.bias") || p.Name.EndsWith(".conv4.bias") || p.Name.EndsWith(".conv5.bias") || p.Name.EndsWith(".fc6.bias") || p.Name.EndsWith(".fc7.bias")))
                p.AlexNetBias = 1f;
    }

    public string Name { get; }
    public int Classes { get; }
    public int[] InputShape { get; }
    public IReadOnlyList<Accelerator> Devices => _dev;
    public Accelerator OutputDevice => _dev[0];
    /// <summary>Global step, passed to dropout (equal steps give the single-device model's masks).</summary>
    public long Step { get; set; }
    /// <summary>Bytes copied between the two devices since creation (activations forward, gradients backward).</summary>
    public long BytesCrossed { get; private set; }

    public IEnumerable<Parameter> Parameters => _stage.SelectMany(s => s).Append(_head).SelectMany(m => m.Parameters);
    public long ParameterCount => Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length);

    /// <summary>Which device holds each layer (for <c>gpunet summary --devices</c>).</summary>
    public IEnumerable<(Layer Layer, Accelerator Device)> Placement =>
        Enumerable.Range(0, 4).SelectMany(s => Enumerable.Range(0, 2).SelectMany(t => _stage[t][s].Layers.Select(l => (l, _dev[t]))))
            .Concat(_head.Layers.Select(l => (l, _dev[0])));

    /// <summary>The bytes one training step copies between devices at batch n, from the architecture alone.</summary>
    public long AnalyticBytesPerStep(int n)
    {
        long p2 = Shapes.Product(_stage[0][0].OutputShape), flat = _stage[0][1].OutputShape[0], half = _stage[0][2].OutputShape[0];
        // forward: conv3's inputs both ways, fc6's both ways, fc7's both ways, tower 1's fc7 to fc8; backward mirrors it
        long floats = 2 * p2 + 2 * flat + 2 * half + half;
        return 2 * floats * n * sizeof(float);
    }

    private Tensor Buf(string key, int t, params int[] shape)
    {
        string k = $"{key}@{t}";
        if (_buffers.TryGetValue(k, out var b) && Shapes.Equal(b.Shape, shape)) return b;
        b?.Dispose();
        return _buffers[k] = _dev[t].Allocate(shape);
    }

    private static void Both(Action<int> tower) => Parallel.Invoke(() => tower(0), () => tower(1));

    /// <summary>
    /// Copies rows from a tensor on tower <paramref name="from"/> into rows of a tensor on the other tower (through host
    /// memory, the one path every pair of backends shares); with <paramref name="add"/> the rows are added to dst instead.
    /// </summary>
    private void Cross(int from, Tensor src, int srcOffset, int srcStride, Tensor dst, int dstOffset, int dstStride, int rows, int rowLength, bool add = false)
    {
        int to = 1 - from, len = rows * rowLength;
        var outgoing = Buf($"out{len}", from, len);
        _dev[from].CopyRows(src, srcOffset, srcStride, outgoing, 0, rowLength, rows, rowLength);
        if (!_host.TryGetValue(len, out var host)) _host[len] = host = new float[len];
        _dev[from].CopyToHost(outgoing, host);
        var incoming = Buf($"in{len}", to, len);
        incoming.CopyFrom(host);
        if (add) _dev[to].Axpy(1f, incoming, dst);
        else _dev[to].CopyRows(incoming, 0, rowLength, dst, dstOffset, dstStride, rows, rowLength);
        BytesCrossed += (long)len * sizeof(float);
    }

    /// <summary>
    /// For each tower, its own (n, width) output at column offset t·width of a (n, 2·width) tensor on its device, the other
    /// tower's copied across into the other half: the input of a layer that sees both towers.
    /// </summary>
    private Tensor[] Concat(string key, Tensor[] outs, int n)
    {
        int width = outs[0].Length / n;
        var cat = new Tensor[2];
        for (int t = 0; t < 2; t++)
        {
            cat[t] = Buf(key, t, n, 2 * width);
            _dev[t].CopyRows(outs[t], 0, width, cat[t], t * width, 2 * width, n, width);
        }
        for (int t = 0; t < 2; t++) Cross(t, outs[t], 0, width, cat[1 - t], t * width, 2 * width, n, width);
        return cat;
    }

    /// <summary>The gradient of a concatenation: each tower's slice of its own dcat plus the other tower's slice, sent across.</summary>
    private Tensor[] Split(string key, Tensor[] dcat, int n, int[] shape)
    {
        int width = dcat[0].Length / n / 2;
        var d = new Tensor[2];
        for (int t = 0; t < 2; t++)
        {
            d[t] = Buf(key, t, [n, .. shape]);
            _dev[t].CopyRows(dcat[t], t * width, 2 * width, d[t], 0, width, n, width);
        }
        for (int t = 0; t < 2; t++) Cross(1 - t, dcat[1 - t], t * width, 2 * width, d[t], 0, width, n, width, add: true);
        return d;
    }

    /// <summary>x: (n, …InputShape) on the host → logits (n, Classes) on the first device.</summary>
    public Tensor Forward(ReadOnlySpan<float> host, int n, bool training)
    {
        _n = n;
        var x = new Tensor[2];
        for (int t = 0; t < 2; t++) { x[t] = Buf("x", t, [n, .. InputShape]); x[t].CopyFrom(host); }
        foreach (var m in _stage.SelectMany(s => s).Append(_head)) m.Step = Step;
        var h = new Tensor[2];
        Both(t => h[t] = _stage[t][0].Forward(x[t], training));
        var cat = Concat("cat2", h.Select(v => v.View(n, v.Length / n)).ToArray(), n);
        int[] s2In = _stage[0][1].InputShape;
        Both(t => h[t] = _stage[t][1].Forward(cat[t].View([n, .. s2In]), training));
        cat = Concat("cat5", h, n);
        Both(t => h[t] = _stage[t][2].Forward(cat[t], training));
        cat = Concat("cat6", h, n);
        Both(t => h[t] = _stage[t][3].Forward(cat[t], training));
        // fc8 on the first device takes both towers' fc7
        int half = h[0].Shape[1];
        var cat7 = Buf("cat7", 0, n, 2 * half);
        _dev[0].CopyRows(h[0], 0, half, cat7, 0, 2 * half, n, half);
        Cross(1, h[1], 0, half, cat7, half, 2 * half, n, half);
        return _logits = _head.Forward(cat7, training);
    }

    /// <summary>dlogits (n, Classes) on the first device → every parameter's Grad on its tower.</summary>
    public void Backward(Tensor dlogits)
    {
        int n = _n;
        var dcat7 = _head.Backward(dlogits)!;
        int half = dcat7.Shape[1] / 2;
        var d = new Tensor[2];
        d[0] = Buf("df7", 0, n, half);
        _dev[0].CopyRows(dcat7, 0, 2 * half, d[0], 0, half, n, half);
        d[1] = Buf("df7", 1, n, half);
        Cross(0, dcat7, half, 2 * half, d[1], 0, half, n, half);
        var dcat = new Tensor[2];
        Both(t => dcat[t] = _stage[t][3].Backward(d[t])!);
        d = Split("df6", dcat, n, [half]);
        Both(t => dcat[t] = _stage[t][2].Backward(d[t])!);
        d = Split("dp5", dcat, n, _stage[0][1].OutputShape);
        Both(t => dcat[t] = _stage[t][1].Backward(d[t])!);
        d = Split("dp2", dcat.Select(v => v.View(n, v.Length / n)).ToArray(), n, _stage[0][0].OutputShape);
        Both(t => _stage[t][0].Backward(d[t]));
    }

    /// <summary>The single-device parameter name and row block of a tower parameter (fc8 → whole).</summary>
    public static (string Name, int Tower) SingleName(string splitName) =>
        splitName.StartsWith("tower") ? (splitName[(splitName.IndexOf('.') + 1)..], splitName[5] - '0') : (splitName, -1);

    /// <summary>Tower t holds row block t of the single-device tensor (twice as many rows); fc8 is whole.</summary>
    public (string Name, int[] Shape, long Offset) Layout(Parameter p)
    {
        var (name, tower) = SingleName(p.Name);
        if (tower < 0) return (name, p.Data.Shape, 0);
        int[] shape = [2 * p.Data.Shape[0], .. p.Data.Shape.AsSpan(1)];
        return (name, shape, (long)tower * p.Data.Length);
    }

    /// <summary>Copies every parameter from the single-device grouped model (row block t to tower t).</summary>
    public void LoadFrom(Model single) => MapParameters(single, toSingle: false);

    /// <summary>Writes every parameter into the single-device grouped model (the inverse of <see cref="LoadFrom"/>).</summary>
    public void SaveTo(Model single) => MapParameters(single, toSingle: true);

    private void MapParameters(Model single, bool toSingle)
    {
        if (single.Name != Name) throw new ArgumentException($"a {Name} split model maps to a single {Name}, not {single.Name}");
        var byName = single.Parameters.ToDictionary(p => p.Name);
        foreach (var p in Parameters)
        {
            var (name, tower) = SingleName(p.Name);
            var whole = byName[name].Data;
            var part = p.Data;
            int offset = tower < 0 ? 0 : tower * part.Length;
            if (toSingle) whole.Accelerator.CopyFromHost(part.ToArray(), whole.Slice(offset, part.Shape));
            else part.CopyFrom(whole.ToArray().AsSpan(offset, part.Length));
        }
    }

    public void Dispose()
    {
        foreach (var b in _buffers.Values) b.Dispose();
        foreach (var m in _stage.SelectMany(s => s).Append(_head)) m.Dispose();
    }
}

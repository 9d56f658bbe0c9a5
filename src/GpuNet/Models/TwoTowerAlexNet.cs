using System.Collections.Concurrent;
using System.Diagnostics;
using GpuNet.Layers;
using GpuNet.Networks;
using GpuNet.Runtime;

namespace GpuNet.Models;

/// <summary>
/// AlexNet split across two devices the way the 2012 network ran on two GTX 580s. Each tower holds half of every
/// layer's channels: conv1, conv2, conv4, conv5 (and their LRN and pooling) see only their own tower; conv3, fc6 and
/// fc7
/// see both towers' outputs, which the graph copies across devices (and whose gradients it copies back), counting every
/// byte; fc8 sits on the first device and takes both towers' fc7. Layers never know about devices: each stage is an
/// ordinary <see cref="Model"/> on its tower's accelerator, and the copies happen here, between stages.
/// </summary>
/// <remarks>
/// The towers and the single-device grouped model (whose LRN also normalises within each half) are built from one
/// network description. Parameters map between them by one rule: tower t holds row block t (along dimension 0)
/// of every parameter of conv1–fc7, and fc8 is whole.
/// </remarks>
public sealed class TwoTowerAlexNet : INetwork
{
    private readonly Accelerator[] _dev;
    private readonly Model[][] _stage;          // [tower][stage]: conv1..pool2, conv3..pool5, fc6, fc7
    private readonly Model _head;               // fc8 on device 0
    private readonly Dictionary<string, Tensor>[] _buffers = [[], []];   // per tower: only its own thread touches them
    // host staging per exchange and sender
    private readonly ConcurrentDictionary<(string, int), float[]> _host = new();
    private readonly long[] _copyTicks = new long[2];
    private long _bytesCrossed;
    private int _n;
    private Tensor? _logits;

    /// <summary>Builds both towers of a shipped network (alexnet, alexnet-small).</summary>
    public TwoTowerAlexNet(string name, Accelerator first, Accelerator second, int? classes = null)
        : this(ModelZoo.Describe(name), first, second, classes)
    {
    }

    /// <summary>
    /// Builds both towers of a network laid out as the 2012 AlexNet: a chain of convolutions (the first reading the
    /// image, grouped ones in two groups reading their own tower, ungrouped ones both towers), LRN in two groups,
    /// pooling, activations, flatten, hidden dense layers (reading both towers) with dropout, and a dense classifier.
    /// </summary>
    public TwoTowerAlexNet(NetworkDescription description, Accelerator first, Accelerator second, int? classes = null)
    {
        Name = description.Name;
        Classes = classes ?? description.Classes;
        InputShape = description.InputShape;
        _dev = [first, second];
        _stage = new Model[2][];
        Dense? classifier = null;
        for (int t = 0; t < 2; t++)
        {
            var (stages, head) = TowerStages(description, Classes, t);
            classifier ??= head;
            _stage[t] = new Model[stages.Count];
            int[] shape = InputShape;
            for (int s = 0; s < stages.Count; s++)
            {
                // after the first stage, each reads both towers: its own output and the other's, concatenated
                if (s > 0) shape = [2 * shape[0], .. shape.AsSpan(1)];
                _stage[t][s] = new Model($"tower{t}.stage{s + 1}", _dev[t], shape, stages[s], propagateToInput: s > 0);
                shape = _stage[t][s].OutputShape;
            }
        }
        _head = new Model("head", first, [2 * _stage[0][^1].OutputShape[0]], [classifier!], propagateToInput: true);
    }

    /// <summary>
    /// Tower <paramref name="t"/>'s layers (named <c>tower{t}.conv1</c> …) from the single-device description, split
    /// into stages: a new stage begins at each layer that reads both towers (an ungrouped convolution after the first,
    /// each hidden dense layer), where the towers exchange their tensors; the classifier, which reads both towers' last
    /// stage, is returned apart (whole, on the first device).
    /// </summary>
    private static (List<List<Layer>> Stages, Dense Head) TowerStages(NetworkDescription d, int classes, int t)
    {
        var single = NetworkGraph.Layers(d, classes);
        string P(string layer) => $"tower{t}.{layer}";
        NetworkFileException Unfit(Layer l, string why) => new(d.File, d.Layers.First(x => x.Name == l.Name).At,
            $"--devices splits networks laid out as the 2012 AlexNet's two towers; layer '{l.Name}' ({l.Kind}) " +
            $"{why}");
        var stages = new List<List<Layer>>();
        int width = 0;
        for (int i = 0; i < single.Count; i++)
        {
            var l = single[i].Layer;
            if (single[i].Inputs is not [int j] || j != i - 1) throw Unfit(l, "is not part of a chain");
            Layer tower = l switch
            {
                Conv2d c when c.Groups is 1 or 2 =>
                    new Conv2d(P(c.Name), c.Filters / 2, c.Kernel, c.Stride, c.Padding, 1, c.HasBias),
                Conv2d c => throw Unfit(c, $"has {c.Groups} groups; the towers need 1 or 2"),
                Lrn { Settings.Groups: 2 } n => new Lrn(P(n.Name), n.Settings with { Groups = 1 }),
                Lrn n => throw Unfit(n, "normalises across both towers; give it groups: 2"),
                Pool2d p => new Pool2d(P(p.Name), p.IsMax, p.Kernel, p.Stride, p.Padding),
                Activation a => new Activation(P(a.Name), a.Function, a.Slope),
                Flatten f => new Flatten(P(f.Name)),
                Dense h when i < single.Count - 1 => new Dense(P(h.Name), (width = h.Outputs) / 2, h.HasBias),
                Dense h => h,
                Dropout o when width > 0 => new Dropout(P(o.Name), o.P, o.Seed, t * (width / 2), width),
                _ => throw Unfit(l, "has no place in them"),
            };
            if (tower is Dense head && ReferenceEquals(head, l)) return (stages, head);
            // a stage begins with the image, and where a layer reads both towers
            bool both = l is Conv2d { Groups: 1 } && i > 0 || l is Dense;
            if (stages.Count == 0 || both) stages.Add([]);
            stages[^1].Add(tower);
        }
        throw new NetworkFileException(d.File, null,
            "--devices splits networks whose last layer is a dense classifier");
    }

    public string Name { get; }
    public int Classes { get; }
    public int[] InputShape { get; }
    public IReadOnlyList<Accelerator> Devices => _dev;
    public Accelerator OutputDevice => _dev[0];
    /// <summary>Global step, passed to dropout (equal steps give the single-device model's masks).</summary>
    public long Step { get; set; }
    public int FirstSample { get; set; }
    /// <summary>
    /// Bytes copied between the two devices since creation (activations forward, gradients backward).
    /// </summary>
    public long BytesCrossed => Interlocked.Read(ref _bytesCrossed);

    /// <summary>
    /// Time each tower has spent copying across since creation (packing rows, device → host, host → device), measured
    /// after its queued compute finished, so it is copy time, not compute.
    /// </summary>
    public TimeSpan[] CopyTime => [Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _copyTicks[0])),
        Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _copyTicks[1]))];

    public IEnumerable<Parameter> Parameters => _stage.SelectMany(s => s).Append(_head).SelectMany(m => m.Parameters);
    public long ParameterCount => Parameters.Where(p => p.Trainable).Sum(p => (long)p.Data.Length);

    /// <summary>Which device holds each layer (for <c>gpunet summary --devices</c>).</summary>
    public IEnumerable<(Layer Layer, Accelerator Device)> Placement =>
        Enumerable.Range(0, _stage[0].Length)
            .SelectMany(s => Enumerable.Range(0, 2).SelectMany(t => _stage[t][s].Layers.Select(l => (l, _dev[t]))))
            .Concat(_head.Layers.Select(l => (l, _dev[0])));

    /// <summary>The bytes one training step copies between devices at batch n, from the architecture alone.</summary>
    public long AnalyticBytesPerStep(int n)
    {
        // forward: each stage's output both ways into the next stage (conv3, fc6, fc7), and tower 1's last stage to
        // fc8 on the first device; backward mirrors it
        var stages = _stage[0];
        long floats = stages[^1].OutputShape[0];
        for (int s = 0; s + 1 < stages.Length; s++) floats += 2L * Shapes.Product(stages[s].OutputShape);
        return 2 * floats * n * sizeof(float);
    }

    private Tensor Buf(string key, int t, params int[] shape)
    {
        var buffers = _buffers[t];
        if (buffers.TryGetValue(key, out var b) && Shapes.Equal(b.Shape, shape)) return b;
        b?.Dispose();
        return buffers[key] = _dev[t].Allocate(shape);
    }

    /// <summary>
    /// Runs the two towers at once, tower 0 on the calling thread and tower 1 on its own; they meet only at the
    /// exchanges (<see cref="Meet"/>). A failure in one tower releases the other from its wait and is rethrown.
    /// </summary>
    internal static void Towers(Action<int, Barrier, CancellationToken> tower)
    {
        using var barrier = new Barrier(2);
        using var failed = new CancellationTokenSource();
        var errors = new Exception?[2];
        void Run(int t)
        {
            try { tower(t, barrier, failed.Token); }
            catch (Exception e) { errors[t] = e; failed.Cancel(); }
        }
        var second = Task.Factory.StartNew(() => Run(1), CancellationToken.None, TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Run(0);
        second.Wait();
        // the tower that failed first, not the one released by the cancellation
        var error = errors.FirstOrDefault(e => e is not null and not OperationCanceledException)
            ?? errors.FirstOrDefault(e => e is not null);
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
    }

    private static void Meet(Barrier barrier, CancellationToken ct) => barrier.SignalAndWait(ct);

    /// <summary>
    /// Tower <paramref name="t"/> offers rows of its tensor to the other tower, counting the bytes and the time: in a
    /// device buffer of its own for the exchange when the two devices copy between each other directly (two ILGPU CPU
    /// accelerators, two accelerators on one CUDA GPU), else on the host (the path every pair of backends shares).
    /// Each tower touches only its own device; the other picks the rows up with <see cref="Receive"/> after they meet.
    /// </summary>
    private void Send(int t, string key, Tensor src, int offset, int stride, int rows, int rowLength)
    {
        int len = rows * rowLength;
        _dev[t].Synchronize();   // compute queued before the exchange is not copy time
        long t0 = Stopwatch.GetTimestamp();
        var outgoing = Buf($"out:{key}", t, len);   // one per exchange: the other tower may still read the last one
        _dev[t].CopyRows(src, offset, stride, outgoing, 0, rowLength, rows, rowLength);
        if (Direct)
            _dev[t].Synchronize();   // written before the other device reads it
        else
        {
            if (!_host.TryGetValue((key, t), out var host) || host.Length != len)
                _host[(key, t)] = host = new float[len];
            _dev[t].CopyToHost(outgoing, host);
        }
        Interlocked.Add(ref _copyTicks[t], Stopwatch.GetTimestamp() - t0);
        Interlocked.Add(ref _bytesCrossed, (long)len * sizeof(float));
    }

    /// <summary>
    /// The rows the other tower sent at exchange <paramref name="key"/>, on tower <paramref name="t"/>'s device.
    /// </summary>
    private Tensor Receive(int t, string key, int len)
    {
        long t0 = Stopwatch.GetTimestamp();
        var incoming = Buf($"in{len}", t, len);
        if (Direct) _dev[t].CopyFromPeer(Buf($"out:{key}", 1 - t, len), incoming);
        else incoming.CopyFrom(_host[(key, 1 - t)]);
        Interlocked.Add(ref _copyTicks[t], Stopwatch.GetTimestamp() - t0);
        return incoming;
    }

    /// <summary>Whether the towers' devices exchange tensors device to device (else through host staging).</summary>
    public bool Direct => _direct ??= _dev[0].CanCopyFromPeer(_dev[1]) && _dev[1].CanCopyFromPeer(_dev[0]);
    private bool? _direct;

    /// <summary>
    /// Tower t's side of a layer that sees both towers: its own (n, width) output at column offset t·width of an
    /// (n, 2·width) tensor on its device, the other tower's output received into the other half.
    /// </summary>
    private Tensor Concat(int t, Barrier barrier, CancellationToken ct, string key, Tensor own, int n)
    {
        int width = own.Length / n;
        var cat = Buf(key, t, n, 2 * width);
        _dev[t].CopyRows(own, 0, width, cat, t * width, 2 * width, n, width);
        Send(t, key, own, 0, width, n, width);
        Meet(barrier, ct);
        _dev[t].CopyRows(Receive(t, key, n * width), 0, width, cat, (1 - t) * width, 2 * width, n, width);
        return cat;
    }

    /// <summary>
    /// The gradient of a concatenation: tower t's slice of its own dcat plus its slice of the other tower's, received.
    /// </summary>
    private Tensor Split(int t, Barrier barrier, CancellationToken ct, string key, Tensor dcat, int n, int[] shape)
    {
        int width = dcat.Length / n / 2;
        var d = Buf(key, t, [n, .. shape]);
        _dev[t].CopyRows(dcat, t * width, 2 * width, d, 0, width, n, width);
        Send(t, key, dcat, (1 - t) * width, 2 * width, n, width);
        Meet(barrier, ct);
        _dev[t].Axpy(1f, Receive(t, key, n * width), d);
        return d;
    }

    /// <summary>x: (n, …InputShape) on the host → logits (n, Classes) on the first device.</summary>
    public Tensor Forward(ReadOnlySpan<float> host, int n, bool training)
    {
        _n = n;
        var x = new Tensor[2];
        for (int t = 0; t < 2; t++) { x[t] = Buf("x", t, [n, .. InputShape]); x[t].CopyFrom(host); }
        foreach (var m in _stage.SelectMany(s => s).Append(_head)) (m.Step, m.FirstSample) = (Step, FirstSample);
        Tensor? cat7 = null;
        Towers((t, barrier, ct) =>
        {
            var h = _stage[t][0].Forward(x[t], training);
            for (int s = 1; s < _stage[t].Length; s++)
            {
                var cat = Concat(t, barrier, ct, $"cat{s}", h.View(n, h.Length / n), n);
                h = _stage[t][s].Forward(cat.View([n, .. _stage[t][s].InputShape]), training);
            }
            // fc8 on the first device takes both towers' fc7
            int half = h.Shape[1];
            if (t == 1) Send(1, "fc7", h, 0, half, n, half);
            Meet(barrier, ct);
            if (t == 1) return;
            cat7 = Buf("cat7", 0, n, 2 * half);
            _dev[0].CopyRows(h, 0, half, cat7, 0, 2 * half, n, half);
            _dev[0].CopyRows(Receive(0, "fc7", n * half), 0, half, cat7, half, 2 * half, n, half);
        });
        return _logits = _head.Forward(cat7!, training);
    }

    /// <summary>
    /// dlogits (n, Classes) on the first device → every parameter's Grad on its tower; each tower reports its layers'
    /// parameters to <paramref name="gradientsReady"/> from its own thread.
    /// </summary>
    public void Backward(Tensor dlogits, Action<IReadOnlyList<Parameter>>? gradientsReady = null)
    {
        int n = _n;
        var dcat7 = _head.Backward(dlogits, gradientsReady)!;
        int half = dcat7.Shape[1] / 2;
        Towers((t, barrier, ct) =>
        {
            // fc7's gradient: tower 0 keeps its half of dcat7 and sends the other half
            var d = t == 0 ? Buf("df7", 0, n, half) : null;
            if (d is not null)
            {
                _dev[0].CopyRows(dcat7, 0, 2 * half, d, 0, half, n, half);
                Send(0, "df7", dcat7, half, 2 * half, n, half);
            }
            Meet(barrier, ct);
            d ??= Receive(1, "df7", n * half).View(n, half);
            for (int s = _stage[t].Length - 1; s > 0; s--)
            {
                var dcat = _stage[t][s].Backward(d, gradientsReady)!;
                d = Split(t, barrier, ct, $"d{s}", dcat.View(n, dcat.Length / n), n, _stage[t][s - 1].OutputShape);
            }
            _stage[t][0].Backward(d, gradientsReady);
        });
    }

    /// <summary>The single-device parameter name and row block of a tower parameter (fc8 → whole).</summary>
    public static (string Name, int Tower) SingleName(string splitName) =>
        splitName.StartsWith("tower") ? (splitName[(splitName.IndexOf('.') + 1)..], splitName[5] - '0')
            : (splitName, -1);

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

    /// <summary>
    /// Writes every parameter into the single-device grouped model (the inverse of <see cref="LoadFrom"/>).
    /// </summary>
    public void SaveTo(Model single) => MapParameters(single, toSingle: true);

    private void MapParameters(Model single, bool toSingle)
    {
        if (single.Name != Name)
            throw new ArgumentException($"a {Name} split model maps to a single {Name}, not {single.Name}");
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
        foreach (var b in _buffers.SelectMany(t => t.Values)) b.Dispose();
        foreach (var m in _stage.SelectMany(s => s).Append(_head)) m.Dispose();
    }
}

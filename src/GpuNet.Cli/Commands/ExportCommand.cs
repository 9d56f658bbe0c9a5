using System.CommandLine;
using GpuNet.Export;

namespace GpuNet.Cli.Commands;

internal static class ExportCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint", "-c")
        {
            Description =
                "Checkpoint written by `gpunet train` (e.g. RUN/best.ckpt; a split run's exports as the grouped model)",
            Required = true,
        };
        var output = new Option<string>("--out", "-o")
        {
            Description = "ONNX file to write (through a temporary file in its folder, renamed when complete)",
            Required = true,
        };
        var opset = new Option<int>("--opset")
        {
            Description = $"ONNX opset to write, {OnnxExporter.MinOpset} to {OnnxExporter.MaxOpset} " +
                $"({OnnxExporter.DefaultOpset}: IR version 8, read by ONNX 1.12 and later and by ONNX Runtime)",
            DefaultValueFactory = _ => OnnxExporter.DefaultOpset,
        };
        var cmd = new Command("export",
            "Write a checkpoint as an ONNX model for inference elsewhere (ONNX Runtime and others). The graph " +
            "takes `input` (batch, C, H, W) with a symbolic batch and gives `probabilities` (softmax) and `logits`; " +
            "dropout is left out, AlexNet's grouped layers become Conv with group and Split/LRN/Concat. The " +
            "preprocessing an image needs (size, crop, channel order, mean, std) and the class names are written " +
            "into the model's metadata_props and printed.")
        { checkpoint, output, opset };
        cmd.SetGuardedAction(r =>
        {
            var res = OnnxExporter.Export(r.GetValue(checkpoint)!, r.GetValue(output)!, r.GetValue(opset));
            var pre = res.Preprocessing;
            Console.WriteLine($"wrote {res.Path}: {pre.Model}, opset {res.Opset} (IR version {res.IrVersion}), " +
                $"{res.Nodes} nodes, {res.Parameters:N0} parameters, {Common.MiB(res.Bytes)}");
            Console.WriteLine($"input: {OnnxExporter.InputName} float32 " +
                $"(batch, {string.Join(", ", pre.InputShape)}), {pre.ChannelOrder}");
            Console.WriteLine($"outputs: {OnnxExporter.ProbabilitiesName} (batch, {pre.Classes.Length}), " +
                $"{OnnxExporter.LogitsName} (batch, {pre.Classes.Length})");
            Console.WriteLine($"preprocessing: {pre.Steps}");
            foreach (var (k, v) in pre.Metadata())
                if (k is "mean" or "std" or "classes" or "eval_transform") Console.WriteLine($"{k}: {v}");
            return 0;
        });
        return cmd;
    }
}

using GpuNet.Charts;
using GpuNet.Models;
using GpuNet.Training;
using SkiaSharp;

namespace GpuNet.Tests.Charts;

/// <summary>Each chart written as PNG and SVG, with its text drawn (a missing font draws none, silently).</summary>
public sealed class ChartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-charts").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly EpochMetrics[] Epochs =
    [
        new(1, 1.2, 0.61, 0.9, 0.72, 0.01f, 2, 1000),
        new(2, 0.6, 0.83, 0.5, 0.86, 0.01f, 2, 1000),
        new(3, 0.4, 0.90, 0.45, 0.88, 0.001f, 2, 1000),
    ];

    [Fact]
    public void Chart_font_is_a_sans_serif_that_is_installed()
    {
        Assert.Contains("Sans", ChartFont.Family);
        Assert.Equal(ChartFont.Family, ChartFont.Typeface().FamilyName);
    }

    [Fact]
    public void Training_curves_have_their_labels_in_the_svg_and_ink_where_the_png_has_its_title()
    {
        var files = TrainingCurves.Write(_dir, "curves", Epochs, "lenet5 on mnist");
        Assert.Equal(Path.Combine(_dir, "curves.png"), files.Png);
        using var png = ChartAssert.Files(_dir, "curves", "lenet5 on mnist", "loss", "accuracy", "learning rate",
            "epoch", "accuracy (%)", "learning rate (log scale)", "train", "validation");

        // the title strip holds only the title: ink with it (ChartAssert.Files), none without it; so its ink is text
        var untitled = TrainingCurves.Create(Epochs, "");
        using var blank = SKBitmap.Decode(untitled.Png());
        Assert.Equal(0, ChartAssert.Ink(blank, 0, 0, blank.Width, Figure.TitleHeight));
        Assert.Equal((png.Width, png.Height), (blank.Width, blank.Height));
    }

    [Fact]
    public void Training_curves_take_runs_without_validation_and_with_one_epoch()
    {
        var rows = new[] { Epochs[0] with { ValidationLoss = double.NaN, ValidationAccuracy = double.NaN } };
        TrainingCurves.Write(_dir, "one", rows, "one epoch");
        var texts = ChartAssert.Texts(Path.Combine(_dir, "one.svg"));
        Assert.Contains("train", texts);
        Assert.DoesNotContain("validation", texts);
        Assert.DoesNotContain("learning rate (log scale)", texts);   // a constant rate stays linear
        ChartAssert.Files(_dir, "one", "loss", "epoch", "learning rate");
    }

    [Fact]
    public void Confusion_matrix_names_the_classes_and_counts_the_cells()
    {
        int[,] confusion = { { 50, 3, 0 }, { 7, 41, 2 }, { 0, 0, 47 } };
        ConfusionChart.Write(_dir, "confusion", confusion, ["cat", "dog", "eel"], "net on test: accuracy 92.00%");
        ChartAssert.Files(_dir, "confusion", "net on test: accuracy 92.00%", "cat", "dog", "eel",
            "predicted class", "true class", "share of the true class", "50", "41", "47", "7").Dispose();
        // rows are true classes from the top, columns predicted from the left
        var (x50, y50) = ChartAssert.Position(Path.Combine(_dir, "confusion.svg"), "50");   // (cat, cat)
        var (x3, y3) = ChartAssert.Position(Path.Combine(_dir, "confusion.svg"), "3");      // (cat, dog)
        var (x7, y7) = ChartAssert.Position(Path.Combine(_dir, "confusion.svg"), "7");      // (dog, cat)
        Assert.True(x3 > x50 && Math.Abs(y3 - y50) < 1, $"(cat, dog) at ({x3}, {y3}), (cat, cat) at ({x50}, {y50})");
        Assert.True(y7 > y50 && Math.Abs(x7 - x50) < 1, $"(dog, cat) at ({x7}, {y7}), (cat, cat) at ({x50}, {y50})");
        Assert.Throws<ChartException>(() => ConfusionChart.Create(confusion, ["a", "b"], "x"));
    }

    [Fact]
    public void Confusion_matrix_of_many_classes_labels_indices()
    {
        int n = 120;
        var confusion = new int[n, n];
        for (int i = 0; i < n; i++) confusion[i, (i * 7) % n] = 3;
        var names = Enumerable.Range(0, n).Select(i => $"n{i:D8}").ToArray();
        ConfusionChart.Write(_dir, "many", confusion, names, "many classes");
        var texts = ChartAssert.Texts(Path.Combine(_dir, "many.svg"));
        Assert.Contains("100", texts);
        Assert.DoesNotContain("n00000001", texts);
        ChartAssert.Files(_dir, "many", "predicted class", "true class");
    }

    [Fact]
    public void Split_experiment_chart_shows_both_panels()
    {
        var single = new SplitRun("single", "cpu", 12, 26, 3, [900L << 20], 0, 0);
        var split = new SplitRun("split", "cpu+cpu", 8, 17, 2, [500L << 20, 480L << 20], 1_000_000, 1_000_000, 2.5);
        SplitChart.Write(_dir, "split", single, split, "alexnet-small, batch 4");
        ChartAssert.Files(_dir, "split", "alexnet-small, batch 4", "time per training step",
            "peak memory per device", "ms per step", "MiB", "forward", "backward", "update", "copies",
            "3 GiB (GTX 580)", "41.0 ms", "27.0 ms", "900.0 MiB", "split: device 1").Dispose();
    }

    [Fact]
    public void Filter_tiles_scale_each_kernel_to_its_own_range_in_rgb_and_grey()
    {
        // two 3×3 RGB kernels: the first red only (a ramp 0..8), the second constant
        var w = new float[2 * 3 * 3 * 3];
        for (int i = 0; i < 9; i++) w[i] = i;
        for (int i = 27; i < 54; i++) w[i] = 0.25f;
        var rgb = FilterGrid.Create(w, [2, 3, 3, 3], towers: 2, "rgb");
        rgb.Save(_dir, "rgb");
        using var png = ChartAssert.Files(_dir, "rgb", "rgb", "tower 0 (GPU 1 in the paper): kernels 0–0",
            "tower 1 (GPU 2 in the paper): kernels 1–1");
        var colours = Pixels(png);
        Assert.Contains(new SKColor(255, 0, 0), colours);     // the ramp's top: full red, nothing in green and blue
        Assert.Contains(new SKColor(0, 0, 0), colours);       // its bottom
        Assert.Contains(new SKColor(128, 128, 128), colours); // a constant kernel shows mid-grey

        var grey = FilterGrid.Create(Enumerable.Range(0, 3 * 25).Select(i => (float)Math.Sin(i)).ToArray(),
            [3, 1, 5, 5], towers: 1, "grey");
        using var greyPng = SKBitmap.Decode(grey.Png());
        Assert.DoesNotContain(Pixels(greyPng), p => p.Red != p.Green || p.Green != p.Blue);
    }

    [Fact]
    public void Filters_of_a_checkpoint_are_drawn_per_tower_for_alexnet()
    {
        string path = Path.Combine(_dir, "best.ckpt");
        var r = new Random(3);
        var w = Enumerable.Range(0, 8 * 3 * 11 * 11).Select(_ => (float)r.NextDouble()).ToArray();
        Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "alexnet-small", ["epoch"] = "3" },
            [("conv1.weight", [8, 3, 11, 11], () => w)]);
        FilterGrid.Write(_dir, "filters", Checkpoint.Read(path));
        ChartAssert.Files(_dir, "filters", "conv1 kernels of alexnet-small, epoch 3 (best.ckpt)",
            "tower 0 (GPU 1 in the paper): kernels 0–3", "tower 1 (GPU 2 in the paper): kernels 4–7");

        Checkpoint.Save(path, new Dictionary<string, string> { ["model"] = "lenet5" },
            [("fc1.weight", [2, 2], () => new float[4])]);
        var e = Assert.Throws<ChartException>(() => FilterGrid.FromCheckpoint(Checkpoint.Read(path)));
        Assert.Contains("best.ckpt: has no tensor 'conv1.weight'", e.Message);
    }

    [Fact]
    public void Filter_shapes_that_cannot_be_drawn_are_named()
    {
        var e = Assert.Throws<ChartException>(() => FilterGrid.Create(new float[2 * 2 * 9], [2, 2, 3, 3], 1, ""));
        Assert.Contains("2 input channels", e.Message);
        e = Assert.Throws<ChartException>(() => FilterGrid.Create(new float[3 * 9], [3, 1, 3, 3], 2, ""));
        Assert.Contains("3 kernels do not split into 2 towers", e.Message);
        e = Assert.Throws<ChartException>(() => FilterGrid.Create(new float[5], [3, 1, 3, 3], 1, ""));
        Assert.Contains("expected (K, C, R, S)", e.Message);
    }

    private static HashSet<SKColor> Pixels(SKBitmap bitmap) => bitmap.Pixels.ToHashSet();
}

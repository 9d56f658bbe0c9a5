using System.Globalization;
using System.Text;

namespace GpuNet.Training;

/// <summary>metrics.csv and the loss/accuracy plot of a run folder.</summary>
public static class Metrics
{
    public const string Header = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,images_per_second,data_wait_seconds";

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int j = 1; j < row.Length; j++) if (row[j] > row[best]) best = j;
        return best;
    }

    /// <summary>How many scores beat the score of class <paramref name="label"/> (0 = top-1).</summary>
    public static int Rank(ReadOnlySpan<float> row, int label)
    {
        int rank = 0;
        for (int j = 0; j < row.Length; j++) if (row[j] > row[label] || (row[j] == row[label] && j < label)) rank++;
        return rank;
    }

    public static string ToCsvLine(EpochMetrics m) => string.Join(",",
        m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.TrainLoss), F(m.TrainAccuracy), F(m.ValidationLoss), F(m.ValidationAccuracy),
        F(m.LearningRate), F(m.Seconds), F(m.ImagesPerSecond), F(m.DataWaitSeconds));

    private static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    public static List<EpochMetrics> ReadCsv(string path)
    {
        var list = new List<EpochMetrics>();
        if (!File.Exists(path)) return list;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var f = line.Split(',');
            if (f.Length < 8) continue;
            double D(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
            list.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4), (float)D(5), D(6), D(7), f.Length > 8 ? D(8) : 0));
        }
        return list;
    }

    public static void WriteCsv(string path, IEnumerable<EpochMetrics> rows) =>
        AtomicFile.WriteAllText(path, Header + "\n" + string.Join("", rows.Select(r => ToCsvLine(r) + "\n")));

    /// <summary>Two panels side by side: loss (train, validation) and accuracy (train, validation) per epoch.</summary>
    public static string Svg(IReadOnlyList<EpochMetrics> rows, string title)
    {
        const int W = 980, H = 370, panelW = 400, panelH = 260, top = 60, left1 = 70, left2 = 560;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{W / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{System.Security.SecurityElement.Escape(title)}</text>\n");
        Panel(sb, rows, left1, top, panelW, panelH, "loss", r => r.TrainLoss, r => r.ValidationLoss, fromZero: true, v => v.ToString("G3", CultureInfo.InvariantCulture));
        Panel(sb, rows, left2, top, panelW, panelH, "accuracy", r => r.TrainAccuracy, r => r.ValidationAccuracy, fromZero: false, v => (v * 100).ToString("F2", CultureInfo.InvariantCulture) + "%");
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static void Panel(StringBuilder sb, IReadOnlyList<EpochMetrics> rows, int x0, int y0, int w, int h, string name,
        Func<EpochMetrics, double> train, Func<EpochMetrics, double> val, bool fromZero, Func<double, string> format)
    {
        var all = rows.Select(train).Concat(rows.Select(val)).Where(double.IsFinite).ToList();
        double lo = all.Count == 0 ? 0 : all.Min(), hi = all.Count == 0 ? 1 : all.Max();
        if (fromZero) lo = Math.Min(0, lo);
        if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
        int maxEpoch = Math.Max(1, rows.Count == 0 ? 1 : rows.Max(r => r.Epoch));
        double X(int e) => x0 + (maxEpoch == 1 ? w / 2.0 : (e - 1) * (double)w / (maxEpoch - 1));
        double Y(double v) => y0 + h - (v - lo) / (hi - lo) * h;
        var ci = CultureInfo.InvariantCulture;
        sb.Append(ci, $"<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>\n");
        sb.Append(ci, $"<text x=\"{x0}\" y=\"{y0 - 8}\" font-weight=\"bold\">{name}</text>\n");
        for (int t = 0; t <= 4; t++)
        {
            double v = lo + (hi - lo) * t / 4;
            sb.Append(ci, $"<text x=\"{x0 - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{format(v)}</text>\n");
            sb.Append(ci, $"<line x1=\"{x0}\" x2=\"{x0 + w}\" y1=\"{Y(v):F1}\" y2=\"{Y(v):F1}\" stroke=\"#eee\"/>\n");
        }
        foreach (var r in rows) sb.Append(ci, $"<text x=\"{X(r.Epoch):F1}\" y=\"{y0 + h + 16}\" text-anchor=\"middle\">{r.Epoch}</text>\n");
        sb.Append(ci, $"<text x=\"{x0 + w / 2}\" y=\"{y0 + h + 34}\" text-anchor=\"middle\">epoch</text>\n");
        foreach (var (f, color, label, dx) in new[] { (train, "#1f77b4", "train", 190), (val, "#d62728", "validation", 120) })
        {
            var pts = rows.Where(r => double.IsFinite(f(r))).Select(r => $"{X(r.Epoch):F1},{Y(f(r)):F1}").ToList();
            if (pts.Count > 0)
            {
                sb.Append(ci, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{string.Join(' ', pts)}\"/>\n");
                foreach (var p in pts) { var xy = p.Split(','); sb.Append(ci, $"<circle cx=\"{xy[0]}\" cy=\"{xy[1]}\" r=\"3\" fill=\"{color}\"/>\n"); }
            }
            sb.Append(ci, $"<text x=\"{x0 + w - dx}\" y=\"{y0 - 8}\" fill=\"{color}\">━ {label}</text>\n");
        }
    }
}

/// <summary>Writes files through a temporary name and a rename, so readers never see half a file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        string tmp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Writes <paramref name="bytes"/> through a temporary file beside <paramref name="path"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes)
    {
        string tmp = path + $".tmp-{Environment.ProcessId}";
        File.WriteAllBytes(tmp, bytes);
        File.Move(tmp, path, overwrite: true);
    }
}

using System.Globalization;

namespace GpuNet.Training;

/// <summary>metrics.csv of a run folder, and the ranking of class scores.</summary>
public static class Metrics
{
    public const string Header =
        "epoch,train_loss,train_accuracy,val_loss,val_accuracy,learning_rate,seconds,images_per_second," +
        "data_wait_seconds";

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
        m.Epoch.ToString(CultureInfo.InvariantCulture), F(m.TrainLoss), F(m.TrainAccuracy), F(m.ValidationLoss),
            F(m.ValidationAccuracy),
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
            list.Add(new EpochMetrics(int.Parse(f[0], CultureInfo.InvariantCulture), D(1), D(2), D(3), D(4),
                (float)D(5), D(6), D(7), f.Length > 8 ? D(8) : 0));
        }
        return list;
    }

    public static void WriteCsv(string path, IEnumerable<EpochMetrics> rows) =>
        AtomicFile.WriteAllText(path, Header + "\n" + string.Join("", rows.Select(r => ToCsvLine(r) + "\n")),
            "metrics file");
}

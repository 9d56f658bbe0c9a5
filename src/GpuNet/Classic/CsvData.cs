using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using GpuNet.Data;
using MathNet.Numerics.LinearAlgebra;

namespace GpuNet.Classic;

/// <summary>
/// A numeric table read from CSV: features as a matrix (rows = samples) and, when a label column is named, integer
/// labels with their class names (string labels become classes, sorted). The header is optional: a first row whose
/// feature cells are not all numbers is taken as one.
/// </summary>
public sealed class CsvData
{
    public required Matrix<double> X { get; init; }
    public int[]? Labels { get; init; }
    public string[] Classes { get; init; } = [];
    public required string[] FeatureNames { get; init; }
    public int Rows => X.RowCount;

    /// <param name="path">The CSV file.</param>
    /// <param name="labelColumn">0-based column of the labels (negative counts from the end: −1 is the last), or
    /// null.</param>
    public static CsvData Load(string path, int? labelColumn)
    {
        if (!File.Exists(path)) throw new DataException($"{path}: no such CSV file");
        var lines = Records(path);
        if (lines.Count == 0) throw new DataException($"{path}: empty CSV file");
        string[] Split((string[] Cells, int Line) row) => row.Cells;
        var first = lines[0].Cells;
        int cols = first.Length;
        int? label = labelColumn is int lc ? (lc < 0 ? cols + lc : lc) : null;
        if (label is int l0 && (l0 < 0 || l0 >= cols))
            throw new DataException(
                $"{path}: label column {labelColumn} does not exist; rows have {cols} columns (0 to {cols - 1}, or " +
                "−1 for the last)");
        bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        bool header = Enumerable.Range(0, cols).Where(c => c != label).Any(c => !IsNumber(first[c]));
        var names = header ? first : Enumerable.Range(0, cols).Select(c => $"x{c}").ToArray();
        var body = header ? lines.Skip(1).ToList() : lines;
        if (body.Count == 0) throw new DataException($"{path}: no data rows after the header");
        var featureCols = Enumerable.Range(0, cols).Where(c => c != label).ToArray();
        var x = Matrix<double>.Build.Dense(body.Count, featureCols.Length);
        var rawLabels = new string[body.Count];
        for (int r = 0; r < body.Count; r++)
        {
            var cells = Split(body[r]);
            if (cells.Length != cols) throw new DataException(
                $"{path}:{body[r].Line}: {cells.Length} columns, expected {cols} like the first row");
            for (int j = 0; j < featureCols.Length; j++)
            {
                string cell = cells[featureCols[j]];
                if (!double.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new DataException(
                        $"{path}:{body[r].Line}: column {featureCols[j]} ('{names[featureCols[j]]}') holds '{cell}', " +
                        $"expected a number{(label is null ? " (is it the label column? pass --label-column)" : "")}");
                x[r, j] = v;
            }
            if (label is int lc2) rawLabels[r] = cells[lc2];
        }
        int[]? labels = null;
        string[] classes = [];
        if (label is not null)
        {
            // numeric labels sort numerically, others as strings
            bool numeric = rawLabels.All(IsNumber);
            classes = numeric
                ? rawLabels.Distinct().OrderBy(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray()
                : rawLabels.Distinct().Order(StringComparer.Ordinal).ToArray();
            var index = classes.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);
            labels = rawLabels.Select(s => index[s]).ToArray();
        }
        return new CsvData
        {
            X = x, Labels = labels, Classes = classes,
            FeatureNames = featureCols.Select(c => names[c]).ToArray()
        };
    }

    /// <summary>
    /// The file's records through CsvHelper (quoting as RFC 4180 has it), with their line numbers; blank lines and
    /// lines starting with '#' are skipped. The delimiter is the first of ',', ';', tab found in the first record's
    /// line, else runs of spaces.
    /// </summary>
    private static List<(string[] Cells, int Line)> Records(string path)
    {
        string firstLine = File.ReadLines(path).Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && l[0] != '#')
            ?? "";
        string delimiter = firstLine.Contains(',') ? "," : firstLine.Contains(';') ? ";" : firstLine.Contains('\t')
            ? "\t" : " ";
        var config = new CsvConfiguration(CultureInfo.InvariantCulture)
        {
            Delimiter = delimiter, HasHeaderRecord = false, AllowComments = true, Comment = '#',
            IgnoreBlankLines = true, TrimOptions = TrimOptions.Trim, BadDataFound = null,
            // the characters trimmed around cells, never the delimiter itself
            WhiteSpaceChars = delimiter switch { " " => ['\t'], "\t" => [' '], _ => [' ', '\t'] },
        };
        var records = new List<(string[] Cells, int Line)>();
        using var reader = new StreamReader(path);
        using var parser = new CsvParser(reader, config);
        while (parser.Read())
        {
            var cells = parser.Record ?? [];
            if (delimiter == " ") cells = cells.Where(c => c.Length > 0).ToArray();   // runs of spaces are one gap
            if (cells.Length == 0 || cells.All(c => c.Length == 0)) continue;
            records.Add((cells, parser.RawRow));
        }
        return records;
    }
}

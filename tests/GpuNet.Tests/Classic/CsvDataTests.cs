using GpuNet.Classic;
using GpuNet.Data;

namespace GpuNet.Tests.Classic;

/// <summary>
/// The classic part's CSV reading (CsvHelper underneath): delimiters, quoting, comments, headers, errors.
/// </summary>
public sealed class CsvDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gpunet-csv").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    private string File(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("comma.csv", "# measured\nwidth,height,kind\n1.5,2,\"cat, big\"\n\n3,4e0,dog\n")]
    [InlineData("semicolon.csv", "width;height;kind\n1.5;2;cat, big\n3;4;dog\n")]
    [InlineData("tab.tsv", "width\theight\tkind\n1.5\t2\tcat, big\n3\t4\tdog\n")]
    [InlineData("spaces.txt", "width  height kind\n 1.5 2   \"cat, big\"\n3 4 dog\n")]
    public void Every_delimiter_quoting_comments_and_blank_lines_read_the_same_table(string name, string text)
    {
        var data = CsvData.Load(File(name, text), -1);
        Assert.Equal(["width", "height"], data.FeatureNames);
        Assert.Equal([1.5, 2, 3, 4], data.X.ToRowMajorArray());
        Assert.Equal(["cat, big", "dog"], data.Classes);
        Assert.Equal([0, 1], data.Labels);
    }

    [Fact]
    public void A_cell_that_is_no_number_names_the_file_line_column_and_value()
    {
        string path = File("bad.csv", "# a comment\na,b\n1,2\n\n3,oops\n");
        var e = Assert.Throws<DataException>(() => CsvData.Load(path, null));
        Assert.Contains($"{path}:5: column 1 ('b') holds 'oops', expected a number", e.Message);
    }
}

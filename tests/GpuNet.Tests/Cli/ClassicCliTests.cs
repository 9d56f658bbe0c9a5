using System.Text.Json;

namespace GpuNet.Tests.Cli;

public sealed class ClassicCliTests
{
    private static string IrisCsv => Classic.Iris.Path;

    [Fact]
    public void Em_coins_prints_every_iteration_and_json()
    {
        var (code, output, err) =
            CliTests.Gpunet("em", "coins", "--observations", "1,1,0,1,0,0,1,0,1,1", "--init", "0.5,0.5,0.5");
        Assert.True(code == 0, err);
        Assert.Contains("result: π = 0.500000, p = 0.600000, q = 0.600000", output);
        (code, output, err) =
            CliTests.Gpunet("em", "coins", "--observations", "1,1,0,1,0,0,1,0,1,1", "--init", "0.4,0.6,0.7", "--json");
        Assert.True(code == 0, err);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal(0.4064, doc.RootElement.GetProperty("pi").GetDouble(), 4);
        (code, _, err) = CliTests.Gpunet("em", "coins", "--observations", "1,2", "--init", "0.5,0.5,0.5");
        Assert.Equal(2, code);
        Assert.Contains("2 is not 0 or 1", err);
    }

    [Fact]
    public void Cluster_and_pca_on_iris()
    {
        var (code, output, err) = CliTests.Gpunet("cluster", "kmeans", "--data", IrisCsv, "--label-column", "-1", "--k",
            "3", "--restarts", "5", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(78.851, JsonDocument.Parse(output).RootElement.GetProperty("wcss").GetDouble(), 3);

        (code, output, err) = CliTests.Gpunet("cluster", "gmm", "--data", IrisCsv, "--label-column", "-1", "--k", "3",
            "--covariance", "diag");
        Assert.True(code == 0, err);
        Assert.Contains("iteration 1: log-likelihood", output);
        Assert.Contains("component 3: weight", output);

        (code, output, err) =
            CliTests.Gpunet("pca", "--data", IrisCsv, "--label-column", "-1", "--components", "2", "--json");
        Assert.True(code == 0, err);
        Assert.Equal(0.9246, JsonDocument.Parse(output).RootElement.GetProperty("explainedRatio")[0].GetDouble(), 4);

        (code, _, err) = CliTests.Gpunet("cluster", "kmeans", "--data", IrisCsv, "--k", "3");
        Assert.Equal(1, code);
        Assert.Contains("'setosa', expected a number (is it the label column? pass --label-column)", err);
    }

    [Fact]
    public void Mlp_trains_from_csv_and_prints_epochs_and_test_accuracy()
    {
        var (code, output, err) = CliTests.Gpunet("mlp", "--data", IrisCsv, "--label-column", "-1", "--layers", "4,8,3",
            "--activation", "tanh",
            "--optimizer", "momentum", "--lr", "0.05", "--epochs", "30", "--batch-norm");
        Assert.True(code == 0, err);
        Assert.Contains("epoch  30: cost", output);
        Assert.Matches(@"test accuracy: \d+\.\d\d% \(\d+ samples\)", output);
        Assert.Contains("layers 4-8-3", output);
    }
}

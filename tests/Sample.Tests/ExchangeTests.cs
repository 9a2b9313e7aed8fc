using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>The file-based exchanges hand a table on unchanged, including one larger than an Arrow IPC message takes at once, and bytes.</summary>
public sealed class ExchangeTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static TheoryData<string> Modes => ["files", "arrow-shm"];

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_table_of_more_rows_than_one_batch_comes_back_as_it_was_put(string mode)
    {
        using var directory = new TemporaryDirectory();
        await using IDataExchange exchange = mode == "files" ? new ParquetExchange(directory.Path) : new ArrowFileExchange(directory.Path);
        const int rows = (1 << 20) + 3;
        var random = new Random(7);
        double[][] values = [Enumerable.Range(0, rows).Select(_ => random.NextDouble()).ToArray(), Enumerable.Range(0, rows).Select(i => (double)i).ToArray()];

        await exchange.PutAsync("x_train", ["a", "b"], values, Cancellation);
        using var view = await exchange.GetAsync("x_train", Cancellation);

        Assert.Equal(["a", "b"], view.Names);
        Assert.Equal(rows, view.Rows);
        Assert.True(view.Values(0).SequenceEqual(values[0]), "column a differs");
        Assert.True(view.Values(1).SequenceEqual(values[1]), "column b differs");
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Bytes_come_back_as_they_were_put(string mode)
    {
        using var directory = new TemporaryDirectory();
        await using IDataExchange exchange = mode == "files" ? new ParquetExchange(directory.Path) : new ArrowFileExchange(directory.Path);
        var bytes = Enumerable.Range(0, 1_000).Select(i => (byte)(i * 7)).ToArray();

        await exchange.PutBytesAsync("run/model", bytes, Cancellation);

        Assert.Equal(bytes, await exchange.GetBytesAsync("run/model", Cancellation));
    }

    [Fact]
    public async Task An_empty_table_comes_back_empty()
    {
        using var directory = new TemporaryDirectory();
        await using var exchange = new ArrowFileExchange(directory.Path);

        await exchange.PutAsync("empty", ["a"], [[]], Cancellation);
        using var view = await exchange.GetAsync("empty", Cancellation);

        Assert.Equal(["a"], view.Names);
        Assert.Equal(0, view.Rows);
    }
}

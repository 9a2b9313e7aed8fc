using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Sample.Tests;

public sealed class CsvTableTests
{
    [Fact]
    public void Numeric_columns_are_read_as_numbers_with_empty_cells_as_missing()
    {
        using var directory = new TemporaryDirectory();
        var table = CsvTable.Load(Write(directory, "a,b,price\n1,2.5,10\n3,,20\n-4e1,7,30\n"), "price");

        Assert.Equal(["a", "b"], table.Names);
        Assert.Equal([1, 3, -40], table.Columns[0]);
        Assert.Equal(2.5, table.Columns[1][0]);
        Assert.True(double.IsNaN(table.Columns[1][1]));
        Assert.Equal([10, 20, 30], table.Target);
    }

    [Fact]
    public void A_categorical_column_becomes_one_zero_one_column_per_category_in_sorted_order()
    {
        using var directory = new TemporaryDirectory();
        var table = CsvTable.Load(Write(directory, "size,place,price\n1,NEAR BAY,10\n2,INLAND,20\n3,\"NEAR, BAY\",30\n4,INLAND,40\n"), "price");

        Assert.Equal(["size", "place=INLAND", "place=NEAR BAY", "place=NEAR, BAY"], table.Names);
        Assert.Equal([0, 1, 0, 1], table.Columns[1]);
        Assert.Equal([1, 0, 0, 0], table.Columns[2]);
        Assert.Equal([0, 0, 1, 0], table.Columns[3]);
    }

    [Fact]
    public void Doubled_quotes_inside_a_quoted_field_are_one_quote()
    {
        using var directory = new TemporaryDirectory();
        var table = CsvTable.Load(Write(directory, "name,price\n\"the \"\"big\"\" one\",1\n"), "price");

        Assert.Equal("name=the \"big\" one", table.Names[0]);
    }

    [Fact]
    public void A_missing_target_column_is_named_with_the_columns_there_are()
    {
        using var directory = new TemporaryDirectory();
        var error = Assert.Throws<ArgumentException>(() => CsvTable.Load(Write(directory, "a,b\n1,2\n"), "price"));

        Assert.Contains("no column 'price'", error.Message, StringComparison.Ordinal);
        Assert.Contains("a, b", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,price\n1,2\n3\n", "line 3: 1 fields where the header has 2")]
    [InlineData("a,price\n1,cheap\n", "'price'")]
    [InlineData("a,price\n1,2\n3,\n", "line 3: the target 'price' is empty")]
    [InlineData("", "is empty; it needs a header row")]
    public void Bad_files_say_where_and_what_is_wrong(string content, string expected)
    {
        using var directory = new TemporaryDirectory();
        var error = Assert.ThrowsAny<Exception>(() => CsvTable.Load(Write(directory, content), "price"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private static string Write(TemporaryDirectory directory, string content)
    {
        var path = directory.CreateFile("data.csv");
        File.WriteAllText(path, content);
        return path;
    }
}

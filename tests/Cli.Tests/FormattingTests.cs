using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Output;

namespace Fluid.Aspire.Cli.Tests;

/// <summary>The formatting that every command shares, without a stack.</summary>
public sealed class FormattingTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(200, "3m20s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600, "3h")]
    [InlineData(3 * 3600 + 60 * 7, "3h7m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(4 * 86400, "4d")]
    [InlineData(4 * 86400 + 3600 * 5, "4d5h")]
    [InlineData(100 * 86400, "100d")]
    [InlineData(800 * 86400, "2y70d")]
    public void Ages_read_as_kubectl_shows_them(int seconds, string expected) =>
        Assert.Equal(expected, Humanize.Duration(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_time_in_the_future_is_invalid_and_a_short_step_keeps_its_milliseconds()
    {
        Assert.Equal("<invalid>", Humanize.Duration(TimeSpan.FromSeconds(-5)));
        Assert.Equal("23ms", Humanize.RunTime(TimeSpan.FromMilliseconds(23.4)));
        Assert.Equal("2.5s", Humanize.RunTime(TimeSpan.FromMilliseconds(2460)));
        Assert.Equal("95s", Humanize.RunTime(TimeSpan.FromSeconds(95)));
        Assert.Equal("<none>", Humanize.RunTime(null));
    }

    [Fact]
    public void Yaml_quotes_strings_that_would_read_as_other_types_and_keeps_multi_line_text_literal()
    {
        var json = JsonNode.Parse("""
            {"a": "0", "b": "true", "c": "2025-01-01T00:00:00Z", "d": 0, "e": true, "f": null, "g": "line 1\nline 2",
             "h": "plain words", "i": "", "j": [], "k": {}, "l": "key: value", "m": "no", "o": 0.95}
            """);

        var yaml = Yaml.FromJson(json);

        Assert.Equal(
            """
            a: "0"
            b: "true"
            c: "2025-01-01T00:00:00Z"
            d: 0
            e: true
            f: null
            g: |-
              line 1
              line 2
            h: plain words
            i: ""
            j: []
            k: {}
            l: 'key: value'
            m: "no"
            o: 0.95

            """.ReplaceLineEndings("\n"), yaml.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_table_pads_every_column_to_its_widest_cell_and_shows_none_for_empty_cells()
    {
        var table = new Table(["NAME", "PHASE", "AGE"]);
        table.Add(["housing", Cell.State("Bound"), "5s"]);
        table.Add(["a", null, "10m"]);

        Assert.Equal("NAME      PHASE    AGE\nhousing   Bound    5s\na         <none>   10m\n", table.ToString());
    }
}

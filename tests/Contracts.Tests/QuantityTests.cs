using System.Text.Json;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("0", "0")]
    [InlineData("65536", "65536")]
    [InlineData("1Ki", "1024")]
    [InlineData("512Mi", "536870912")]
    [InlineData("2Gi", "2147483648")]
    [InlineData("1.5Gi", "1610612736")]
    [InlineData("1Ti", "1099511627776")]
    [InlineData("1Pi", "1125899906842624")]
    [InlineData("1Ei", "1152921504606846976")]
    [InlineData("1k", "1000")]
    [InlineData("1.5G", "1500000000")]
    [InlineData("3M", "3000000")]
    [InlineData("2T", "2000000000000")]
    [InlineData("1P", "1000000000000000")]
    [InlineData("1E", "1000000000000000000")]
    [InlineData("500m", "0.5")]
    [InlineData("250u", "0.00025")]
    [InlineData("7n", "0.000000007")]
    [InlineData("1e3", "1000")]
    [InlineData("12E-1", "1.2")]
    [InlineData(".5", "0.5")]
    [InlineData("+2", "2")]
    [InlineData("-1Gi", "-1073741824")]
    public void Kubernetes_quantities_parse_to_their_exact_value(string text, string expected)
    {
        var quantity = Quantity.Parse(text);

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), quantity.ToDecimal());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2GB")]
    [InlineData("2gi")]
    [InlineData("2K")]
    [InlineData("Gi")]
    [InlineData("1.2.3")]
    [InlineData(" 2Gi")]
    [InlineData("2 Gi")]
    [InlineData("2Gi ")]
    [InlineData("1e")]
    [InlineData("0x10")]
    public void Other_text_is_not_a_quantity_and_the_error_shows_the_forms(string text)
    {
        var error = Assert.Throws<FormatException>(() => Quantity.Parse(text));

        Assert.Contains($"'{text}' is not a quantity", error.Message, StringComparison.Ordinal);
        Assert.Contains("e.g. 2Gi, 512Mi, 1.5G or 500m", error.Message, StringComparison.Ordinal);
        Assert.False(Quantity.TryParse(text, out _));
    }

    [Fact]
    public void A_null_is_not_a_quantity()
    {
        Assert.False(Quantity.TryParse(null, out _));
    }

    [Theory]
    [InlineData("1e99")]
    public void A_value_too_large_for_a_decimal_is_refused_not_thrown_as_overflow(string text)
    {
        Assert.False(Quantity.TryParse(text, out _, out var error));
        Assert.Contains("too large", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2Gi", 2L * 1024 * 1024 * 1024)]
    [InlineData("100m", 1L)]
    [InlineData("1.0001Ki", 1025L)]
    public void Bytes_round_up_as_Kubernetes_Value_does(string text, long bytes) =>
        Assert.Equal(bytes, Quantity.Bytes(Quantity.Parse(text)));

    [Theory]
    [InlineData("\"2147483648\"", "2147483648")]
    [InlineData("\"2048Mi\"", "2Gi")]
    [InlineData("\"1.5Gi\"", "1536Mi")]
    [InlineData("\"1000k\"", "1M")]
    [InlineData("\"0.5\"", "500m")]
    [InlineData("2", "2")]
    [InlineData("0.25", "250m")]
    public void Quantities_are_read_from_strings_or_numbers_and_written_in_Kubernetes_canonical_form(string json, string written)
    {
        var level = ResourceJson.Deserialize<Runtimes.TieredStoreLevel>($"{{\"mediumtype\": \"MEM\", \"quota\": {json}}}");

        Assert.Contains($"\"quota\":\"{written}\"", JsonSerializer.Serialize(level, ResourceJson.Options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"2GB\"", "'2GB' is not a quantity; write a number with an optional suffix")]
    [InlineData("\"1e99\"", "'1e99' is too large to be a quantity")]
    [InlineData("true", "A quantity is a string such as \"2Gi\" or a number, not a JSON True.")]
    public void Reading_what_is_not_a_quantity_fails_with_the_field_and_the_forms(string json, string message)
    {
        var error = Assert.Throws<JsonException>(() => ResourceJson.Deserialize<Runtimes.TieredStoreLevel>($"{{\"quota\": {json}}}"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal("$.quota", error.Path);
    }

    [Theory]
    [InlineData(0, "0B")]
    [InlineData(900, "900B")]
    [InlineData(1536, "1.5KiB")]
    [InlineData(512L * 1024 * 1024, "512MiB")]
    [InlineData(1288490189, "1.2GiB")]
    public void Byte_counts_are_shown_as_Fluid_shows_sizes(long bytes, string expected)
    {
        Assert.Equal(expected, Quantity.FormatBytes(bytes));
    }

    [Theory]
    [InlineData("4Gi", 4L * 1024 * 1024 * 1024)]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1.5Gi", 1_610_612_736L)]
    [InlineData("65536", 65_536L)]
    [InlineData("0", 0L)]
    [InlineData("1e9", 1_000_000_000L)]
    [InlineData("  8Gi ", 8L * 1024 * 1024 * 1024)]
    [InlineData("0.5", 1L)]
    [InlineData("1.0001Ki", 1025L)]
    [InlineData("8388607Ti", 8_388_607L << 40)]
    [InlineData("9223372036854775806", long.MaxValue - 1)]
    public void Sizes_parse_to_whole_bytes_rounded_up(string text, long bytes) =>
        Assert.Equal(bytes, Quantity.ParseBytes(text));

    [Fact]
    public void Parsing_does_not_depend_on_the_current_culture()
    {
        var before = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // German writes 1,5 for 1.5: the size must still read as one and a half GiB.
            System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal(1_610_612_736L, Quantity.ParseBytes("1.5Gi"));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = before;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("Gi")]
    [InlineData("1,5Gi")]
    [InlineData("4 Gi B")]
    [InlineData("4GiB")]
    [InlineData("4gi")]
    [InlineData("2GB")]
    [InlineData("٣Gi")]
    public void Text_that_is_not_a_size_is_refused_with_the_accepted_forms(string text)
    {
        var error = Assert.Throws<FormatException>(() => Quantity.ParseBytes(text));

        Assert.Contains($"'{text}' is not a size", error.Message, StringComparison.Ordinal);
        Assert.Contains("4Gi, 512Mi, 1G or 65536", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("-4Gi")]
    public void A_negative_size_is_refused(string text) =>
        Assert.Contains("negative", Assert.Throws<FormatException>(() => Quantity.ParseBytes(text)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("9223372036854775807")]
    [InlineData("9223372036854775808")]
    [InlineData("8388608Ti")]
    [InlineData("8Ei")]
    [InlineData("99999999999999999999999999999Ti")]
    [InlineData("123456789012345678901234567890123456789")]
    public void A_size_that_reaches_2_to_the_63_bytes_is_too_large_not_an_overflow(string text) =>
        Assert.Equal($"'{text}' is too large.", Assert.Throws<FormatException>(() => Quantity.ParseBytes(text)).Message);
}

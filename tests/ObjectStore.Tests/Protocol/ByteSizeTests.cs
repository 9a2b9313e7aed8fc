using System.Globalization;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>Sizes as people and Kubernetes write them, and back in a short human form.</summary>
public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("4Gi", 4L * 1024 * 1024 * 1024)]
    [InlineData("512Mi", 512L * 1024 * 1024)]
    [InlineData("1G", 1_000_000_000L)]
    [InlineData("1.5Gi", 1_610_612_736L)]
    [InlineData("65536", 65_536L)]
    [InlineData("0", 0L)]
    [InlineData("1Ki", 1024L)]
    [InlineData("1KiB", 1024L)]
    [InlineData("2MiB", 2L * 1024 * 1024)]
    [InlineData("1Ti", 1L << 40)]
    [InlineData("3TiB", 3L << 40)]
    [InlineData("1k", 1000L)]
    [InlineData("1K", 1000L)]
    [InlineData("1KB", 1000L)]
    [InlineData("5M", 5_000_000L)]
    [InlineData("5MB", 5_000_000L)]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("2T", 2_000_000_000_000L)]
    [InlineData("100B", 100L)]
    [InlineData("64 Mi", 64L * 1024 * 1024)]
    [InlineData("  8Gi ", 8L * 1024 * 1024 * 1024)]
    [InlineData("0.5", 1L)]
    [InlineData("1.0001Ki", 1025L)]
    [InlineData("8388607Ti", 8_388_607L << 40)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Sizes_parse_with_binary_and_decimal_units(string text, long bytes) =>
        Assert.Equal(bytes, ByteSize.Parse(text));

    [Fact]
    public void Parsing_does_not_depend_on_the_current_culture()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            // German writes 1,5 for 1.5: the size must still read as one and a half GiB.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal(1_610_612_736L, ByteSize.Parse("1.5Gi"));
            Assert.Equal("1.5 GiB", ByteSize.Format(1_610_612_736L));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Gi")]
    [InlineData("four")]
    [InlineData("-1")]
    [InlineData("-4Gi")]
    [InlineData("1e9")]
    [InlineData("1,5Gi")]
    [InlineData("1.Gi")]
    [InlineData(".5Gi")]
    [InlineData("4 Gi B")]
    [InlineData("4Gi!")]
    [InlineData("٣Gi")]
    public void Text_that_is_not_a_size_is_refused_with_the_accepted_forms(string text)
    {
        var error = Assert.Throws<FormatException>(() => ByteSize.Parse(text));

        Assert.Contains($"'{text}' is not a size", error.Message, StringComparison.Ordinal);
        Assert.Contains("4Gi, 512Mi, 1G or 65536", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("4Xi", "Xi")]
    [InlineData("4gi", "gi")]
    [InlineData("4GIB", "GIB")]
    [InlineData("4b", "b")]
    [InlineData("4Pi", "Pi")]
    public void An_unknown_unit_is_named_with_the_units_to_use(string text, string unit)
    {
        var error = Assert.Throws<FormatException>(() => ByteSize.Parse(text));

        Assert.Contains($"unknown unit '{unit}'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Ki, Mi, Gi, Ti or k, M, G, T", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("9223372036854775808")]
    [InlineData("8388608Ti")]
    [InlineData("9999999999T")]
    [InlineData("99999999999999999999999999999")]
    [InlineData("99999999999999999999999999999Ti")]
    [InlineData("79228162514264337593543950335Ti")]
    [InlineData("123456789012345678901234567890123456789")]
    public void A_size_beyond_2_to_the_63_bytes_is_too_large_not_an_overflow(string text)
    {
        var error = Assert.Throws<FormatException>(() => ByteSize.Parse(text));

        Assert.Contains($"'{text}' is too large", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(900L, "900 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1 KiB")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(64L * 1024 * 1024, "64 MiB")]
    [InlineData(1_610_612_736L, "1.5 GiB")]
    [InlineData(1_000_000_000L, "953.67 MiB")]
    [InlineData(5L << 40, "5 TiB")]
    [InlineData(2048L << 40, "2048 TiB")]
    [InlineData(-2048L, "-2 KiB")]
    [InlineData(-5L, "-5 B")]
    public void Sizes_format_in_the_largest_binary_unit(long bytes, string text) =>
        Assert.Equal(text, ByteSize.Format(bytes));

    [Theory]
    [InlineData(1024L)]
    [InlineData(64L * 1024 * 1024)]
    [InlineData(3L << 40)]
    [InlineData(1_610_612_736L)]
    public void Whole_formatted_sizes_parse_back_without_the_space(long bytes) =>
        Assert.Equal(bytes, ByteSize.Parse(ByteSize.Format(bytes).Replace(" ", "", StringComparison.Ordinal)));
}

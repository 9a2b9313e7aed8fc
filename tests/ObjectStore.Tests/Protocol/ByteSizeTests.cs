using System.Globalization;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>Sizes in a short human form.</summary>
public sealed class ByteSizeTests
{
    [Fact]
    public void Formatting_does_not_depend_on_the_current_culture()
    {
        var before = CultureInfo.CurrentCulture;
        try
        {
            // German writes 1,5 for 1.5.
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");
            Assert.Equal("1.5 GiB", ByteSize.Format(1_610_612_736L));
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
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
    public void Whole_formatted_sizes_parse_back_as_quantities_without_the_space_and_B(long bytes) =>
        Assert.Equal(bytes, Fluid.Aspire.Contracts.Quantity.ParseBytes(ByteSize.Format(bytes).Replace(" ", "", StringComparison.Ordinal).TrimEnd('B')));
}

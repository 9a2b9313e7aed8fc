using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class HelperTests
{
    private static readonly DateTimeOffset T0 = Samples.Created;

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(5L, "500ns")]
    [InlineData(15L, "1.5µs")]
    [InlineData(2_500_000L, "250ms")]
    [InlineData(905_000_000L, "1m30.5s")]
    [InlineData(36_000_000_000L, "1h0m0s")]
    [InlineData(37_230_000_000L, "1h2m3s")]
    [InlineData(-10_000_000L, "-1s")]
    public void Durations_are_written_as_Go_writes_them(long ticks, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromTicks(ticks)));
        Assert.Equal(TimeSpan.FromTicks(ticks), GoDuration.Parse(expected));
    }

    [Theory]
    [InlineData("90s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2m3s", 123_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("250us", 0.25)]
    [InlineData("0", 0)]
    public void Go_durations_parse(string text, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GoDuration.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("90")]
    [InlineData("1d")]
    [InlineData("1m 30s")]
    [InlineData("s")]
    public void Other_text_is_not_a_duration(string text)
    {
        Assert.False(GoDuration.TryParse(text, out _));
        Assert.Throws<FormatException>(() => GoDuration.Parse(text));
    }

    [Theory]
    [InlineData(512, 1229L, "41.7%")]
    [InlineData(0, 100L, "0.0%")]
    [InlineData(100, 100L, "100.0%")]
    [InlineData(1, 3L, "33.3%")]
    [InlineData(5, 0L, null)]
    [InlineData(5, null, null)]
    public void The_cached_percentage_is_formatted_like_Fluids(long cached, long? total, string? expected)
    {
        Assert.Equal(expected, CacheStates.FormatPercentage(cached, total));
    }

    [Fact]
    public void Setting_a_new_condition_adds_it_with_the_transition_time()
    {
        var conditions = new List<Condition>();

        var changed = conditions.Set(new Condition { Type = "Ready", Status = ConditionStatus.False, Reason = "NoRuntime" }, T0);

        Assert.True(changed);
        Assert.Equal(T0, Assert.Single(conditions).LastTransitionTime);
    }

    [Fact]
    public void The_transition_time_moves_only_when_the_status_changes()
    {
        var conditions = new List<Condition>();
        conditions.Set(new Condition { Type = "Ready", Status = ConditionStatus.False, Reason = "NoRuntime" }, T0);

        var reworded = conditions.Set(new Condition { Type = "Ready", Status = ConditionStatus.False, Reason = "NoRuntime", Message = "waiting" }, T0.AddMinutes(1));
        var same = conditions.Set(new Condition { Type = "Ready", Status = ConditionStatus.False, Reason = "NoRuntime", Message = "waiting" }, T0.AddMinutes(2));
        var flipped = conditions.Set(new Condition { Type = "Ready", Status = ConditionStatus.True, Reason = "RuntimeBound" }, T0.AddMinutes(3));

        Assert.True(reworded);
        Assert.False(same);
        Assert.True(flipped);
        var ready = Assert.Single(conditions);
        Assert.Equal(T0.AddMinutes(3), ready.LastTransitionTime);
        Assert.Null(ready.Message);
        Assert.True(conditions.IsTrue("Ready"));
        Assert.True(conditions.Remove("Ready"));
        Assert.Empty(conditions);
    }

    [Fact]
    public void A_controller_reference_needs_a_stored_owner()
    {
        var dataset = Samples.Dataset();

        var owner = dataset.ControllerReference();
        dataset.Metadata.Uid = null;
        var error = Assert.Throws<InvalidOperationException>(() => dataset.ControllerReference());

        Assert.Equal(("Dataset", "housing", true, true), (owner.Kind, owner.Name, owner.Controller, owner.BlockOwnerDeletion));
        Assert.Contains("has no uid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Enum_names_are_the_JSON_ones()
    {
        Assert.Equal("MEM", EnumNames.Of(Runtimes.MediumType.Memory));
        Assert.Equal(["MEM", "SSD", "HDD"], EnumNames.All(typeof(Runtimes.MediumType)));
    }

    [Fact]
    public void A_resource_prints_as_kind_and_key()
    {
        Assert.Equal("Dataset ml/housing", Samples.Dataset().ToString());
    }
}

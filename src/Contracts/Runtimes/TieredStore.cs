using System.Globalization;
using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Serialization;
using Fluid.Aspire.Contracts.Validation;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Runtimes;

/// <summary>The tiers of a worker's storage, fastest first.</summary>
public sealed class TieredStore
{
    /// <summary>The levels; one per medium.</summary>
    [Required(Example = "[{\"mediumtype\": \"MEM\", \"quota\": \"2Gi\"}]")]
    [Unique(nameof(TieredStoreLevel.MediumType))]
    public List<TieredStoreLevel> Levels { get; set; } = [];
}

/// <summary>A storage medium.</summary>
public enum MediumType
{
    /// <summary>Shared memory, where objects can be used without a copy.</summary>
    [JsonStringEnumMemberName("MEM")]
    Memory,

    /// <summary>Solid-state disk, for spilled objects.</summary>
    [JsonStringEnumMemberName("SSD")]
    Ssd,

    /// <summary>Hard disk, for spilled objects.</summary>
    [JsonStringEnumMemberName("HDD")]
    Hdd,
}

/// <summary>One storage tier, in Fluid's shape (hence the lower-case <c>mediumtype</c>).</summary>
public sealed class TieredStoreLevel
{
    /// <summary>The medium.</summary>
    [JsonPropertyName("mediumtype")]
    [Required(Example = "MEM")]
    public MediumType? MediumType { get; set; }

    /// <summary>The directory (or comma-separated directories) of the tier; required for SSD and HDD, <c>/dev/shm</c> for MEM when unset.</summary>
    public string? Path { get; set; }

    /// <summary>How much the tier may hold on each worker, a quantity such as <c>2Gi</c>.</summary>
    [Required(Example = "2Gi")]
    [Quantity(Positive = true)]
    public ResourceQuantity? Quota { get; set; }

    /// <summary>The ratio of the quota above which the tier evicts or spills, e.g. <c>"0.95"</c> (a number is accepted too).</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    [Range(0, 1, Example = "0.95")]
    public string? High { get; set; }

    /// <summary>The ratio down to which eviction or spilling frees the tier, e.g. <c>"0.7"</c>; at most <see cref="High"/>.</summary>
    [JsonConverter(typeof(NumberOrStringConverter))]
    [Range(0, 1, Example = "0.7")]
    public string? Low { get; set; }

    /// <summary>The <see cref="High"/> ratio as a number; null when unset or not a number (validation reports that).</summary>
    public double? HighRatio() => Ratio(High);

    /// <summary>The <see cref="Low"/> ratio as a number; null when unset or not a number (validation reports that).</summary>
    public double? LowRatio() => Ratio(Low);

    private static double? Ratio(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;
}

/// <summary>Where workers run and how they are configured.</summary>
public sealed class WorkerSpec
{
    /// <summary>Labels a node must have to run a worker, e.g. <c>fluid.io/node: node-1</c>.</summary>
    [Labels]
    public Dictionary<string, string> NodeSelector { get; set; } = [];

    /// <summary>Options passed to each object-store instance.</summary>
    public Dictionary<string, string> Options { get; set; } = [];
}

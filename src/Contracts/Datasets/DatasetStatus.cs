using System.Globalization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Datasets;

/// <summary>The lifecycle of a dataset, as Fluid names it.</summary>
public enum DatasetPhase
{
    /// <summary>Accepted; not yet looked at by a runtime.</summary>
    Pending,

    /// <summary>A runtime caches it.</summary>
    Bound,

    /// <summary>No runtime caches it (none exists, or its runtime went away).</summary>
    NotBound,

    /// <summary>It cannot be served; the conditions say why.</summary>
    Failed,

    /// <summary>Its mounts changed and the runtime is applying the change.</summary>
    Updating,
}

/// <summary>What the controller observed about a dataset.</summary>
public sealed class DatasetStatus
{
    /// <summary>What <see cref="UfsTotal"/> shows until the first metadata sync is done, as in Fluid.</summary>
    public const string Calculating = "[Calculating]";

    /// <summary>Where the dataset is in its lifecycle; null until a controller has seen it.</summary>
    public DatasetPhase? Phase { get; set; }

    /// <summary>Kubernetes-style conditions, e.g. <c>Ready</c>.</summary>
    [Unique(nameof(Condition.Type))]
    public List<Condition> Conditions { get; set; } = [];

    /// <summary>
    /// The total size of the sources for display, e.g. <c>1.2GiB</c> (see <see cref="Quantity.FormatBytes"/>), or
    /// <see cref="Calculating"/> until it is known.
    /// </summary>
    public string? UfsTotal { get; set; }

    /// <summary>How many files (or objects) the sources hold; null until known.</summary>
    public long? FileNum { get; set; }

    /// <summary>What is cached, and how well the cache serves.</summary>
    public CacheStates? CacheStates { get; set; }

    /// <summary>The runtimes bound to the dataset (one, for now).</summary>
    public List<RuntimeReference> Runtimes { get; set; } = [];

    /// <summary>The operations holding the dataset, by kind: e.g. <c>DataProcess</c> → the step's name.</summary>
    public Dictionary<string, string> OperationRef { get; set; } = [];
}

/// <summary>The cache's numbers, as display strings (Fluid's column formats), so that every client shows the same.</summary>
public sealed class CacheStates
{
    /// <summary>How much is cached, e.g. <c>512MiB</c>.</summary>
    public string? Cached { get; set; }

    /// <summary>How much the cache can hold, e.g. <c>2GiB</c>.</summary>
    public string? CacheCapacity { get; set; }

    /// <summary>Cached as a share of the sources' total, <c>%.1f%%</c>: <c>42.5%</c> (see <see cref="FormatPercentage"/>).</summary>
    public string? CachedPercentage { get; set; }

    /// <summary>The share of reads served from any cache, e.g. <c>93.1%</c>.</summary>
    public string? CacheHitRatio { get; set; }

    /// <summary>The share of reads served from the reader's own node.</summary>
    public string? LocalHitRatio { get; set; }

    /// <summary>The share of reads served from another node's cache.</summary>
    public string? RemoteHitRatio { get; set; }

    /// <summary>The low watermark ratio in force, e.g. <c>0.7</c>.</summary>
    public string? LowWaterMark { get; set; }

    /// <summary>The high watermark ratio in force, e.g. <c>0.95</c>.</summary>
    public string? HighWaterMark { get; set; }

    /// <summary>
    /// <paramref name="part"/> as a share of <paramref name="whole"/>, formatted as Fluid's <c>%.1f%%</c>
    /// (<c>42.5%</c>); null when the whole is unknown or zero, rather than a misleading <c>0.0%</c>.
    /// </summary>
    public static string? FormatPercentage(long part, long? whole) =>
        whole is > 0 ? string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole.Value:0.0}%") : null;
}

/// <summary>A runtime bound to a dataset.</summary>
public sealed class RuntimeReference
{
    /// <summary>The category of runtime, as in Fluid; always <see cref="AccelerateCategory"/> here.</summary>
    public const string AccelerateCategory = "Accelerate";

    /// <summary>The runtime's name (the dataset's).</summary>
    public string Name { get; set; } = "";

    /// <summary>The runtime's namespace (the dataset's).</summary>
    public string Namespace { get; set; } = "";

    /// <summary>The category, e.g. <c>Accelerate</c>.</summary>
    public string? Category { get; set; }

    /// <summary>The runtime type, e.g. <c>objectstore</c>.</summary>
    public string? Type { get; set; }
}

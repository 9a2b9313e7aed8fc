using k8s.Models;
using System.Globalization;
using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Serialization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Runtimes;

/// <summary>
/// The cache of a dataset, served by this project's object store: one worker (object-store instance) per selected
/// node. It binds 1:1 to the <see cref="Datasets.Dataset"/> of the same name and namespace, as Fluid's runtimes do.
/// </summary>
public sealed class ObjectStoreRuntime : Resource<ObjectStoreRuntimeSpec, ObjectStoreRuntimeStatus>
{
    /// <summary>An empty runtime.</summary>
    public ObjectStoreRuntime()
        : base(ResourceKinds.ApiVersion, nameof(ObjectStoreRuntime))
    {
    }

    /// <inheritdoc cref="Resource.Clone" />
    public override ObjectStoreRuntime Clone() => ResourceJson.Clone(this);
}

/// <summary>How many workers, with which storage, on which nodes.</summary>
public sealed class ObjectStoreRuntimeSpec
{
    /// <summary>How many workers to run; at least 1.</summary>
    [Range(1, Example = "2")]
    public int Replicas { get; set; } = 1;

    /// <summary>The storage tiers of each worker; the object store's defaults (memory only) when unset.</summary>
    [JsonPropertyName("tieredstore")]
    public TieredStore? TieredStore { get; set; }

    /// <summary>Where the workers run and how they are configured.</summary>
    public WorkerSpec? Worker { get; set; }
}

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

/// <summary>How many of a runtime's workers are ready, as Fluid names it.</summary>
public enum RuntimePhase
{
    /// <summary>No worker is ready.</summary>
    NotReady,

    /// <summary>Some workers are ready.</summary>
    PartialReady,

    /// <summary>All desired workers are ready.</summary>
    Ready,
}

/// <summary>What the controller observed about a runtime.</summary>
public sealed class ObjectStoreRuntimeStatus
{
    /// <summary>The overall phase; null until a controller has seen the runtime.</summary>
    public RuntimePhase? Phase { get; set; }

    /// <summary>How many workers should run.</summary>
    public int DesiredWorkers { get; set; }

    /// <summary>How many workers have been placed on a node.</summary>
    public int CurrentWorkers { get; set; }

    /// <summary>How many workers serve requests.</summary>
    public int ReadyWorkers { get; set; }

    /// <summary>The workers' phase.</summary>
    public RuntimePhase? WorkerPhase { get; set; }

    /// <summary>Kubernetes-style conditions, e.g. <c>WorkersReady</c>.</summary>
    [Unique(nameof(Condition.Type))]
    public List<Condition> Conditions { get; set; } = [];

    /// <summary>Each worker: where it runs and how much memory it uses.</summary>
    public List<WorkerStatus> Workers { get; set; } = [];

    /// <summary>Memory used by all workers, in bytes.</summary>
    public long MemoryUsed { get; set; }

    /// <summary>Memory all workers can use, in bytes.</summary>
    public long MemoryCapacity { get; set; }
}

/// <summary>One worker of a runtime.</summary>
public sealed class WorkerStatus
{
    /// <summary>The node it runs on.</summary>
    public string Node { get; set; } = "";

    /// <summary>The object-store instance id of the worker.</summary>
    public int? Instance { get; set; }

    /// <summary>Memory in use, in bytes.</summary>
    public long MemoryUsed { get; set; }

    /// <summary>Memory the worker can use, in bytes.</summary>
    public long MemoryCapacity { get; set; }
}

using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Runtimes;

/// <summary>
/// The cache of a dataset whose files live elsewhere (HTTP, S3, a local or claimed directory), served by the cache
/// agents of the selected nodes: each worker keeps the files' blocks in its tiers, next to the steps that read them.
/// It binds 1:1 to the <see cref="Datasets.Dataset"/> of the same name and namespace, as Fluid's runtimes do.
/// </summary>
public sealed class CacheRuntime : Resource<CacheRuntimeSpec, CacheRuntimeStatus>
{
    /// <summary>An empty runtime.</summary>
    public CacheRuntime()
        : base(ResourceKinds.ApiVersion, nameof(CacheRuntime))
    {
    }

    /// <inheritdoc cref="Resource.Clone" />
    public override CacheRuntime Clone() => ResourceJson.Clone(this);
}

/// <summary>How many workers, with which tiers, on which nodes.</summary>
public sealed class CacheRuntimeSpec
{
    /// <summary>How many workers (cache agents holding the dataset's blocks) to run; at least 1.</summary>
    [Range(1, Example = "2")]
    public int Replicas { get; set; } = 1;

    /// <summary>
    /// The tiers each worker keeps blocks in, fastest first; one MEM level of 1Gi on <c>/dev/shm</c> when unset. Each
    /// runtime gets a directory of its own under every path.
    /// </summary>
    [JsonPropertyName("tieredstore")]
    public TieredStore? TieredStore { get; set; }

    /// <summary>Where the workers run.</summary>
    public WorkerSpec? Worker { get; set; }
}

/// <summary>What the controller observed about a cache runtime, from what its workers report.</summary>
public sealed class CacheRuntimeStatus : RuntimeStatus
{
    /// <summary>Each worker: its node, what it holds, and what it served.</summary>
    public List<CacheWorkerStatus> Workers { get; set; } = [];

    /// <summary>Bytes of the dataset cached on all workers.</summary>
    public long Cached { get; set; }

    /// <summary>Bytes all workers' tiers can hold.</summary>
    public long CacheCapacity { get; set; }

    /// <summary>The dataset's total size in its mounts, in bytes, from the newest listing of any worker; null until one listed it.</summary>
    public long? UfsTotal { get; set; }

    /// <summary>How many files the dataset's mounts hold, from the same listing.</summary>
    public long? FileNum { get; set; }

    /// <summary>When that listing began: the sizes are at least this old.</summary>
    public DateTime? ListedAt { get; set; }

    /// <summary>Bytes readers received from all workers.</summary>
    public long BytesRead { get; set; }

    /// <summary>Bytes the workers fetched from the mounts for readers (misses and their read-ahead).</summary>
    public long BytesFetched { get; set; }

    /// <summary>When the controller last heard from the workers: every number here is at most this old.</summary>
    public DateTime? ObservedAt { get; set; }
}

/// <summary>One worker of a cache runtime, as its cache agent reports it.</summary>
public sealed class CacheWorkerStatus
{
    /// <summary>The node it runs on.</summary>
    public string Node { get; set; } = "";

    /// <summary>True when the agent serves the dataset.</summary>
    public bool Ready { get; set; }

    /// <summary>Why it does not, when it does not.</summary>
    public string? Message { get; set; }

    /// <summary>Bytes of the dataset's blocks it holds.</summary>
    public long Cached { get; set; }

    /// <summary>Bytes its tiers can hold.</summary>
    public long CacheCapacity { get; set; }

    /// <summary>The dataset's total size, from this worker's listing; null until it listed the mounts.</summary>
    public long? UfsTotal { get; set; }

    /// <summary>The dataset's file count, from the same listing.</summary>
    public long? FileNum { get; set; }

    /// <summary>When that listing began.</summary>
    public DateTime? ListedAt { get; set; }

    /// <summary>Bytes readers received from it.</summary>
    public long BytesRead { get; set; }

    /// <summary>Bytes it fetched from the mounts for readers.</summary>
    public long BytesFetched { get; set; }

    /// <summary>Bytes it fetched from the mounts to preload them.</summary>
    public long BytesPreloaded { get; set; }
}

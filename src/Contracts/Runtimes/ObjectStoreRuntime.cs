using System.Text.Json.Serialization;
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

/// <summary>What the controller observed about an object store runtime.</summary>
public sealed class ObjectStoreRuntimeStatus : RuntimeStatus
{
    /// <summary>Each worker: where it runs and how much memory it uses.</summary>
    public List<ObjectStoreWorkerStatus> Workers { get; set; } = [];

    /// <summary>Memory used by all workers, in bytes.</summary>
    public long MemoryUsed { get; set; }

    /// <summary>Memory all workers can use, in bytes.</summary>
    public long MemoryCapacity { get; set; }
}

/// <summary>One worker of an object store runtime.</summary>
public sealed class ObjectStoreWorkerStatus
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

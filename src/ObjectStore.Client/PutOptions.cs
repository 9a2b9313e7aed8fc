namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>How a new object is published.</summary>
public sealed record PutOptions
{
    public static PutOptions Default { get; } = new();

    /// <summary>A name to find it by; local until persisted, cluster-wide after.</summary>
    public string? Name { get; init; }

    /// <summary>Write the metadata to etcd at once, so that every instance sees it and can fetch it.</summary>
    public bool Persist { get; init; }

    /// <summary>Labels recorded with the object, e.g. the step that produced it.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}

/// <summary>How an object is looked up.</summary>
public sealed record GetOptions
{
    public static GetOptions Default { get; } = new();

    /// <summary>When another instance holds the object, copy it into this node's store first.</summary>
    public bool Fetch { get; init; }
}

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

    /// <summary>
    /// Fill this process's page tables for the object's memory during the get, for a reader that will touch all
    /// of it: one call per blob instead of a page fault per 4 KiB. The get then costs time in proportion to the
    /// object's size; without it a get costs the same for any size.
    /// </summary>
    public bool Prefault { get; init; }
}

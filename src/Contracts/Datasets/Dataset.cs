namespace Fluid.Aspire.Contracts.Datasets;

/// <summary>
/// Where a body of data comes from (its mounts) and where it may be cached; a runtime of the same name and namespace
/// caches it, and the dataset reports what is cached. Fluid's Dataset, with field names kept.
/// </summary>
public sealed class Dataset : Resource<DatasetSpec, DatasetStatus>
{
    /// <summary>An empty dataset.</summary>
    public Dataset()
        : base(ResourceKinds.ApiVersion, nameof(Dataset))
    {
    }

    /// <inheritdoc cref="Resource.Clone" />
    public override Dataset Clone() => ResourceJson.Clone(this);
}

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>Quotas: memory reserved for datasets, and what their objects use here.</summary>
internal sealed partial class LocalStore
{
    private readonly DatasetQuotas _quotas = new();

    /// <summary>
    /// Reserves <paramref name="bytes"/> of this instance's memory for the objects of <paramref name="dataset"/>, and
    /// caps them at it (0 releases the reservation); idempotent. Answers what the dataset's objects use here.
    /// </summary>
    public DatasetUsage Reserve(string dataset, long bytes)
    {
        lock (_gate)
        {
            return _quotas.Reserve(dataset, bytes, _arenas.Capacity);
        }
    }
}

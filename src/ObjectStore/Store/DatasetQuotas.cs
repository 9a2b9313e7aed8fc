using Fluid.Aspire.Contracts;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>What a dataset is given on this instance and what its objects use here.</summary>
/// <param name="Reserved">Bytes set aside for the dataset's objects, and the most they may use; 0 when none.</param>
/// <param name="Used">Bytes of the dataset's objects held here (spilled ones too).</param>
/// <param name="Objects">How many of the dataset's objects are held here.</param>
internal sealed record DatasetUsage(long Reserved, long Used, int Objects);

/// <summary>
/// The memory reserved per dataset (its runtime's MEM quota, on each of the runtime's workers) and what the objects
/// of each dataset, labelled <see cref="FlowLabels.Dataset"/>, use. A dataset's objects may not use more than its
/// reservation; other objects may not use memory reserved for a dataset they do not belong to. Objects are counted
/// by the bytes they hold, whether resident or spilled, so that a quota means the same whatever the spilling.
/// Guarded by the store's lock.
/// </summary>
internal sealed class DatasetQuotas
{
    private readonly Dictionary<string, Share> _datasets = new(StringComparer.Ordinal);
    private long _reserved;
    private long _objectBytes;

    /// <summary>The dataset an object belongs to, by its label; null when it carries none.</summary>
    public static string? DatasetOf(ObjectMeta meta) => meta.Labels.GetValueOrDefault(FlowLabels.Dataset);

    public DatasetUsage UsageOf(string dataset) =>
        _datasets.TryGetValue(dataset, out var share)
            ? new DatasetUsage(share.Reserved, share.Used, share.Objects)
            : new DatasetUsage(0, 0, 0);

    /// <summary>
    /// Reserves <paramref name="bytes"/> of a store of <paramref name="capacity"/> for a dataset (0 releases it), or
    /// refuses with the reason when the reservations, or the objects outside them, would no longer fit.
    /// </summary>
    public DatasetUsage Reserve(string dataset, long bytes, long capacity)
    {
        if (dataset.Length == 0 || bytes < 0)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                $"A reservation needs a dataset (the value of its {FlowLabels.Dataset} label) and a size of 0 bytes or more, not '{dataset}' and {bytes}.");
        }

        var share = _datasets.GetValueOrDefault(dataset) ?? new Share();
        var reservedByOthers = _reserved - share.Reserved;
        if (bytes > 0 && reservedByOthers + bytes > capacity)
        {
            throw new NotEnoughMemoryException(
                $"NotEnoughMemory: reserving {ByteSize.Format(bytes)} for dataset {dataset} does not fit: this store holds " +
                $"{ByteSize.Format(capacity)}, of which {ByteSize.Format(reservedByOthers)} is reserved for {Describe(ReservedDatasets(except: dataset))}. " +
                "Lower the runtime's quota, or start the daemon with a larger --size.",
                bytes, capacity - reservedByOthers, reservedByOthers, capacity);
        }

        // Reserved, the dataset's own objects no longer count among those outside every reservation.
        var unreservedAfter = capacity - reservedByOthers - bytes;
        var outsideAfter = Unreserved() - (share.Reserved == 0 ? share.Used : 0);
        if (bytes > 0 && outsideAfter > unreservedAfter)
        {
            throw new NotEnoughMemoryException(
                $"NotEnoughMemory: reserving {ByteSize.Format(bytes)} for dataset {dataset} would leave {ByteSize.Format(unreservedAfter)} " +
                $"to the objects of no reserved dataset, which already use {ByteSize.Format(outsideAfter)}. " +
                "Delete objects, lower the runtime's quota, or start the daemon with a larger --size.",
                bytes, capacity - reservedByOthers - outsideAfter, outsideAfter, capacity);
        }

        _reserved += bytes - share.Reserved;
        share.Reserved = bytes;
        Keep(dataset, share);
        return UsageOf(dataset);
    }

    /// <summary>Fails with NotEnoughMemory when an object of <paramref name="nbytes"/> may not be added to a store of <paramref name="capacity"/>.</summary>
    public void EnsureFits(ObjectMeta meta, long nbytes, long capacity)
    {
        if (DatasetOf(meta) is { } dataset && _datasets.TryGetValue(dataset, out var share) && share.Reserved > 0)
        {
            if (share.Used + nbytes > share.Reserved)
            {
                throw new NotEnoughMemoryException(
                    $"NotEnoughMemory: dataset {dataset} has a quota of {ByteSize.Format(share.Reserved)} on this store and its " +
                    $"{share.Objects} object(s) use {ByteSize.Format(share.Used)}; this put of {ByteSize.Format(nbytes)} does not fit. " +
                    "Raise the MEM quota of the dataset's runtime (spec.tieredstore.levels[].quota), or delete objects of the dataset.",
                    nbytes, share.Reserved - share.Used, share.Used, share.Reserved);
            }

            return;
        }

        var unreserved = capacity - _reserved;
        var outside = Unreserved();
        if (_reserved > 0 && outside + nbytes > unreserved)
        {
            throw new NotEnoughMemoryException(
                $"NotEnoughMemory: {ByteSize.Format(_reserved)} of this store's {ByteSize.Format(capacity)} is reserved for " +
                $"{Describe(ReservedDatasets(except: null))}; the objects of no reserved dataset use {ByteSize.Format(outside)} of the " +
                $"{ByteSize.Format(unreserved)} left, and this put of {ByteSize.Format(nbytes)} does not fit. Delete objects, lower those " +
                "runtimes' quotas, or start the daemon with a larger --size.",
                nbytes, Math.Max(0, unreserved - outside), outside, capacity);
        }
    }

    public void Added(ObjectMeta meta)
    {
        _objectBytes += meta.NBytes;
        if (DatasetOf(meta) is { } dataset)
        {
            var share = _datasets.GetValueOrDefault(dataset) ?? new Share();
            share.Used += meta.NBytes;
            share.Objects++;
            Keep(dataset, share);
        }
    }

    public void Removed(ObjectMeta meta)
    {
        _objectBytes -= meta.NBytes;
        if (DatasetOf(meta) is { } dataset && _datasets.TryGetValue(dataset, out var share))
        {
            share.Used -= meta.NBytes;
            share.Objects--;
            Keep(dataset, share);
        }
    }

    /// <summary>Bytes of the objects that belong to no dataset with a reservation.</summary>
    private long Unreserved() => _objectBytes - _datasets.Values.Where(s => s.Reserved > 0).Sum(s => s.Used);

    private IEnumerable<string> ReservedDatasets(string? except) =>
        _datasets.Where(d => d.Value.Reserved > 0 && d.Key != except).Select(d => $"{d.Key} ({ByteSize.Format(d.Value.Reserved)})");

    private static string Describe(IEnumerable<string> datasets) => $"dataset(s) {string.Join(", ", datasets)}";

    /// <summary>A dataset with neither a reservation nor objects here is forgotten.</summary>
    private void Keep(string dataset, Share share)
    {
        if (share.Reserved == 0 && share.Objects == 0)
        {
            _datasets.Remove(dataset);
        }
        else
        {
            _datasets[dataset] = share;
        }
    }

    private sealed class Share
    {
        public long Reserved { get; set; }

        public long Used { get; set; }

        public int Objects { get; set; }
    }
}

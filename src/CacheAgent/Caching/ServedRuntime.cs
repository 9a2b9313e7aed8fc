using Fluid.Aspire.Cache.Blocks;
using Fluid.Aspire.Cache.Reading;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.CacheAgent.Caching;

/// <summary>One cache runtime this agent serves: its block store and its dataset read through it.</summary>
/// <param name="Assignment">The assignment as it came, to tell a repeated one from a changed one.</param>
/// <param name="Store">The runtime's tiers on this node.</param>
/// <param name="Dataset">The dataset read through them.</param>
internal sealed record ServedRuntime(string Assignment, TieredBlockStore Store, CachedDataset Dataset) : IAsyncDisposable
{
    /// <summary>What the controller shows for this worker: what it holds, what it served, and the dataset's size as listed here.</summary>
    public CacheWorkerStatus Status(string node)
    {
        var stats = Dataset.Stats();
        var tiers = Store.Snapshot();
        var status = new CacheWorkerStatus
        {
            Node = node,
            Ready = true,
            Cached = stats.CachedBytes,
            CacheCapacity = tiers.QuotaBytes,
            BytesRead = stats.BytesRead,
            BytesFetched = stats.BytesFetched,
            BytesPreloaded = stats.BytesPreloaded,
        };

        // The first listing may still run, or have failed: the status says so rather than wait for it.
        var listing = Dataset.ListAsync(CancellationToken.None);
        if (listing.IsCompletedSuccessfully)
        {
            status.UfsTotal = listing.Result.TotalBytes;
            status.FileNum = listing.Result.FileCount;
            status.ListedAt = listing.Result.ListedAt.UtcDateTime;
        }
        else if (listing.IsFaulted)
        {
            status.Ready = false;
            status.Message = listing.Exception.GetBaseException().Message;
        }
        else
        {
            status.Message = "Listing the dataset's files.";
        }

        return status;
    }

    public async ValueTask DisposeAsync()
    {
        await Dataset.DisposeAsync();
        await Store.DisposeAsync();
    }
}

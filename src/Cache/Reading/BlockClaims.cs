using Fluid.Aspire.Cache.Blocks;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// The blocks of a dataset that one fetcher of this process has undertaken to fetch: a reader's range request, or a
/// sequential fetch that claimed them ahead of its stream. Others wait for the claim instead of fetching too, so a
/// block streamed ahead is never also asked for by range. The store's own single flight covers the moment between a
/// claim's release and the block's placement.
/// </summary>
internal sealed class BlockClaims
{
    private readonly Lock _gate = new();
    private readonly Dictionary<BlockKey, TaskCompletionSource> _claims = [];

    /// <summary>Claims the block; false, with the task that ends with the current claim, when someone holds it.</summary>
    public bool TryClaim(BlockKey key, out Task held)
    {
        lock (_gate)
        {
            if (_claims.TryGetValue(key, out var claim))
            {
                held = claim.Task;
                return false;
            }

            _claims[key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held = Task.CompletedTask;
            return true;
        }
    }

    /// <summary>
    /// Ends a claim: its waiters look in the cache again, and fetch the block themselves if it is not there (the
    /// claim was given up); with <paramref name="failure"/>, they fail with it.
    /// </summary>
    public void Release(BlockKey key, Exception? failure = null)
    {
        TaskCompletionSource? claim;
        lock (_gate)
        {
            _claims.Remove(key, out claim);
        }

        if (failure is null)
        {
            claim?.SetResult();
        }
        else
        {
            claim?.SetException(failure);
            _ = claim?.Task.Exception; // Observed: a claim nobody waited for is no error of its own.
        }
    }
}

using Fluid.Aspire.Cache.Blocks;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// Gets one dataset's blocks into the store and out of it: each missing block is fetched by exactly one fetcher of
/// this process (a claim in <see cref="Claims"/>), by range here or streamed by a <see cref="SequentialFetch"/>.
/// </summary>
internal sealed class BlockFetcher(TieredBlockStore store, DatasetReadCounters counters)
{
    public TieredBlockStore Store => store;

    public BlockClaims Claims { get; } = new();

    public DatasetReadCounters Counters => counters;

    /// <summary>
    /// Copies a block into <paramref name="destination"/> from the cache (its checksum checked: a corrupt block file is
    /// removed and fetched again), fetching it first if it is missing.
    /// </summary>
    public async ValueTask ReadAsync(FileBlocks file, long index, Memory<byte> destination, CancellationToken cancellationToken)
    {
        var key = file.Key(index);
        while (await store.TryReadAsync(key, destination, cancellationToken) is null)
        {
            await EnsureCachedAsync(file, index, FetchPurpose.Read, cancellationToken);
        }

        counters.Read(file.LengthOf(index));
    }

    /// <summary>Returns once the block is cached: at once, after the claim someone holds on it, or after fetching it by range.</summary>
    public async ValueTask EnsureCachedAsync(FileBlocks file, long index, FetchPurpose purpose, CancellationToken cancellationToken)
    {
        var key = file.Key(index);
        while (!store.TryGet(key, out _))
        {
            if (!Claims.TryClaim(key, out var held))
            {
                await held.WaitAsync(cancellationToken);
                continue;
            }

            try
            {
                var offset = file.Offset(index);
                await store.GetOrFetchAsync(key, file.LengthOf(index), async (buffer, token) =>
                {
                    await file.File.Mount.Storage.ReadAsync(file.File.Source, offset, buffer, token);
                    counters.Fetched(purpose, buffer.Length);
                    return buffer.Length;
                }, cancellationToken: cancellationToken);
                Claims.Release(key);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Claims.Release(key); // This caller gave up; a waiter fetches (or joins the store's fetch) itself.
                throw;
            }
            catch (Exception e)
            {
                Claims.Release(key, e);
                throw;
            }
        }
    }
}

using System.Threading.Channels;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// Fetches a file's missing blocks in order over one streaming request (<c>IUnderStorage.OpenReadAsync</c>), as a cold
/// sequential read needs to cost no more than a direct one. It claims each block before it reads it, so no reader
/// fetches that block too; a block that is cached or claimed by another fetcher ends the request, and the next missing
/// block opens a new one (the stream never skips bytes, so no byte is fetched twice). It runs up to a limit a reader
/// moves (read-ahead: <see cref="Advance"/>) or to the file's end (preload). While the store writes one block, the
/// next one is already being received.
/// </summary>
internal sealed class SequentialFetch
{
    // Blocks received and being written at once; each holds a buffer of the store's.
    private const int PlacementsInFlight = 2;

    private readonly BlockFetcher _fetcher;
    private readonly FileBlocks _file;
    private readonly FetchPurpose _purpose;
    private readonly long _ahead;
    private readonly Action<int>? _cached;
    // Wakes a fetch waiting for its reader; one pending wake is enough, however many advances came.
    private readonly Channel<bool> _advanced = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _readerBlock;

    /// <param name="fetcher">The dataset's fetcher.</param>
    /// <param name="file">The file.</param>
    /// <param name="first">The block to begin with.</param>
    /// <param name="ahead">How many blocks past the reader's it may go; null for no limit.</param>
    /// <param name="purpose">What the bytes are counted as.</param>
    /// <param name="cached">Called with the length of each block it finds cached or fetches.</param>
    public SequentialFetch(BlockFetcher fetcher, FileBlocks file, long first, long? ahead, FetchPurpose purpose, Action<int>? cached = null)
    {
        _fetcher = fetcher;
        _file = file;
        _readerBlock = first;
        _ahead = ahead ?? file.Count;
        _purpose = purpose;
        _cached = cached;
    }

    /// <summary>The reader reached <paramref name="block"/>: the fetch may go up to that plus its read-ahead.</summary>
    public void Advance(long block)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref _readerBlock);
            if (block <= seen)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _readerBlock, block, seen) != seen);

        _advanced.Writer.TryWrite(true);
    }

    /// <summary>
    /// Runs until the file's end or cancellation. The blocks of the first window are claimed before this returns its
    /// task, so a reader that starts it and then reads the first block waits for it rather than fetching it too.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var owned = new Queue<long>();
        var placing = new Queue<Task>();
        Stream? body = null;
        var bodyAt = -1L;
        var cursor = Interlocked.Read(ref _readerBlock);
        try
        {
            while (true)
            {
                cursor = ClaimUpTo(cursor, Math.Min(_file.Count - 1, Interlocked.Read(ref _readerBlock) + _ahead), owned);
                if (!owned.TryDequeue(out var index))
                {
                    if (cursor >= _file.Count)
                    {
                        break;
                    }

                    await _advanced.Reader.ReadAsync(cancellationToken);
                    continue;
                }

                var offset = _file.Offset(index);
                if (body is null || bodyAt != offset)
                {
                    await DisposeAsync(body);
                    body = null;
                    try
                    {
                        body = await _file.File.Mount.Storage.OpenReadAsync(_file.File.Source, offset, cancellationToken);
                    }
                    catch (Exception e)
                    {
                        // Its waiters fail as this fetch does (a changed file, an unreachable server), or fetch it themselves when stopped.
                        _fetcher.Claims.Release(_file.Key(index), e is OperationCanceledException ? null : e);
                        throw;
                    }

                    bodyAt = offset;
                }

                var (placement, received) = Receive(index, body, cancellationToken);
                placing.Enqueue(placement);
                if (await received)
                {
                    bodyAt += _file.LengthOf(index);
                }
                else
                {
                    // The store had the block (another process of the node fetched it): the stream did not move past it.
                    await DisposeAsync(body);
                    body = null;
                }

                if (placing.Count >= PlacementsInFlight)
                {
                    await placing.Dequeue();
                }
            }

            while (placing.TryDequeue(out var placement))
            {
                await placement;
            }
        }
        finally
        {
            await DisposeAsync(body);
            while (owned.TryDequeue(out var index))
            {
                _fetcher.Claims.Release(_file.Key(index));
            }

            await Task.WhenAll(placing).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>Claims every missing, unclaimed block from <paramref name="cursor"/> to <paramref name="last"/>; returns the next cursor.</summary>
    private long ClaimUpTo(long cursor, long last, Queue<long> owned)
    {
        for (; cursor <= last; cursor++)
        {
            var key = _file.Key(cursor);
            if (_fetcher.Store.TryGet(key, out _))
            {
                _cached?.Invoke(_file.LengthOf(cursor));
            }
            else if (_fetcher.Claims.TryClaim(key, out _))
            {
                owned.Enqueue(cursor);
            }
        }

        return cursor;
    }

    /// <summary>
    /// Hands the block to the store with a fetch that reads it from the body. <c>received</c> ends once the bytes are
    /// in (true) or the store answered without asking for them (false); <c>placement</c> once the block is cached
    /// and its claim released.
    /// </summary>
    private (Task Placement, Task<bool> Received) Receive(long index, Stream body, CancellationToken cancellationToken)
    {
        var key = _file.Key(index);
        var length = _file.LengthOf(index);
        var received = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var placement = PlaceAsync();
        return (placement, received.Task);

        async Task PlaceAsync()
        {
            try
            {
                await _fetcher.Store.GetOrFetchAsync(key, length, async (buffer, token) =>
                {
                    try
                    {
                        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, token);
                        await body.ReadExactlyAsync(buffer, both.Token);
                        _fetcher.Counters.Fetched(_purpose, length);
                        received.SetResult(true);
                        return length;
                    }
                    catch (Exception e)
                    {
                        received.TrySetException(e);
                        throw;
                    }
                }, cancellationToken: cancellationToken);
                received.TrySetResult(false);
                _fetcher.Claims.Release(key);
                _cached?.Invoke(length);
            }
            catch (Exception e)
            {
                received.TrySetException(e);
                _ = received.Task.Exception;
                _fetcher.Claims.Release(key, e is OperationCanceledException ? null : e);
                throw;
            }
        }
    }

    private static ValueTask DisposeAsync(Stream? body) => body?.DisposeAsync() ?? ValueTask.CompletedTask;
}

using System.Buffers;
using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts.IO;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>
/// A dataset file opened for reading through the block cache: seekable, read-only, one block in memory at a time.
/// A reader that goes through blocks in order gets read-ahead (a <see cref="SequentialFetch"/> running ahead of it);
/// a jump stops it. Not safe for concurrent use, as a FileStream is not.
/// </summary>
internal sealed class CachedFileStream : AsyncReadStream
{
    private readonly BlockFetcher _fetcher;
    private readonly FileBlocks _file;
    private readonly CachedDatasetOptions _options;
    private readonly Action _changed;
    private readonly ILogger _logger;
    private readonly string _datasetId;
    private byte[]? _block;
    private long _loaded = -1;
    private long _position;
    private long _lastBlock = -1;
    private int _inOrder;
    private SequentialFetch? _readAhead;
    private CancellationTokenSource? _readAheadStop;
    private Task _readAheadRun = Task.CompletedTask;

    /// <param name="datasetId">The dataset, for messages.</param>
    /// <param name="fetcher">The dataset's fetcher.</param>
    /// <param name="file">The file's version being read.</param>
    /// <param name="options">Read-ahead settings.</param>
    /// <param name="changed">Called when the file turned out to have changed in the under storage.</param>
    /// <param name="logger">For read-ahead that stops on an error.</param>
    public CachedFileStream(string datasetId, BlockFetcher fetcher, FileBlocks file, CachedDatasetOptions options, Action changed, ILogger logger)
    {
        _datasetId = datasetId;
        _fetcher = fetcher;
        _file = file;
        _options = options;
        _changed = changed;
        _logger = logger;
        _block = ArrayPool<byte>.Shared.Rent(file.BlockSize);
    }

    public override bool CanRead => _block is not null;

    public override bool CanSeek => _block is not null;

    public override long Length => _file.File.Length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_block is null, this);
        if (buffer.IsEmpty || _position >= Length)
        {
            return 0;
        }

        var index = _position / _file.BlockSize;
        if (index != _loaded)
        {
            await LoadAsync(index, cancellationToken);
        }

        var within = (int)(_position - _file.Offset(index));
        var count = Math.Min(buffer.Length, _file.LengthOf(index) - within);
        _block.AsMemory(within, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override string ToString() => $"dataset file {_file.File.Path}";

    public override async ValueTask DisposeAsync()
    {
        await StopReadAheadAsync();
        Release();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            StopReadAheadAsync().AsTask().GetAwaiter().GetResult();
            Release();
        }

        base.Dispose(disposing);
    }

    private async Task LoadAsync(long index, CancellationToken cancellationToken)
    {
        await FollowAsync(index);
        try
        {
            await _fetcher.ReadAsync(_file, index, _block.AsMemory(0, _file.LengthOf(index)), cancellationToken);
        }
        catch (UfsFileChangedException e)
        {
            _loaded = -1;
            _changed();
            throw new IOException(
                $"'{_file.File.Path}' of dataset {_datasetId} changed in its under storage while it was read, so this stream cannot go on without mixing two versions; open it again to read the new version. ({e.Message})", e);
        }

        _loaded = index;
    }

    /// <summary>Counts blocks read in order; starts read-ahead once they are enough, and stops it on a jump.</summary>
    private async ValueTask FollowAsync(long index)
    {
        if (_lastBlock < 0 && index == 0)
        {
            _inOrder = _options.ReadAheadAfterBlocks; // A read from the first byte is most likely a whole-file read.
        }
        else
        {
            _inOrder = index == _lastBlock + 1 ? _inOrder + 1 : index == _lastBlock ? _inOrder : 1;
        }

        _lastBlock = index;
        if (_inOrder < _options.ReadAheadAfterBlocks || _options.ReadAheadBlocks == 0)
        {
            await StopReadAheadAsync();
            return;
        }

        if (_readAhead is not null && !_readAheadRun.IsCompleted)
        {
            _readAhead.Advance(index);
            return;
        }

        // None yet, or the last one reached the file's end or stopped on an error: start from here.
        await StopReadAheadAsync();
        _readAheadStop = new CancellationTokenSource();
        _readAhead = new SequentialFetch(_fetcher, _file, index, _options.ReadAheadBlocks, FetchPurpose.Read);
        _readAheadRun = RunReadAheadAsync(_readAhead, _readAheadStop.Token);
    }

    private async Task RunReadAheadAsync(SequentialFetch readAhead, CancellationToken cancellationToken)
    {
        try
        {
            await readAhead.RunAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by a jump or by closing the stream.
        }
        catch (Exception e)
        {
            // The reader meets the same error at the block that failed (its claim carries it), or fetches it itself.
            _logger.LogDebug("Read-ahead of {Path} in dataset {Dataset} stopped: {Error}", _file.File.Path, _datasetId, e.Message);
        }
    }

    private async ValueTask StopReadAheadAsync()
    {
        if (_readAheadStop is null)
        {
            return;
        }

        await _readAheadStop.CancelAsync();
        await _readAheadRun;
        _readAheadStop.Dispose();
        _readAheadStop = null;
        _readAhead = null;
    }

    private void Release()
    {
        if (_block is { } block)
        {
            _block = null;
            ArrayPool<byte>.Shared.Return(block);
        }
    }
}

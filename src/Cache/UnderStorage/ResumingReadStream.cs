namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>
/// A remote file's bytes from an offset to its end over one response body; when a read fails transiently (a reset, a
/// stall, a body that ends short) the body is dropped and a new one asked for from where it broke off, with the same
/// version check, within the retry budget of each read.
/// </summary>
internal sealed class ResumingReadStream : Stream
{
    private readonly UfsFile _file;
    private readonly string _url;
    private readonly Func<long, CancellationToken, ValueTask<Stream>> _openAt;
    private readonly UnderStorageRetry _retry;
    private Stream? _body;
    private long _position;

    private ResumingReadStream(UfsFile file, long offset, string url, Func<long, CancellationToken, ValueTask<Stream>> openAt, UnderStorageRetry retry)
    {
        _file = file;
        _position = offset;
        _url = url;
        _openAt = openAt;
        _retry = retry;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>
    /// Opens the body at once, so that a missing or changed file fails here rather than at the first read;
    /// <paramref name="openAt"/> asks for the body from an offset to the end, checking the file's version.
    /// </summary>
    public static async Task<Stream> OpenAsync(UfsFile file, long offset, string url, Func<long, CancellationToken, ValueTask<Stream>> openAt,
        UnderStorageRetry retry, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, file.Length);
        var stream = new ResumingReadStream(file, offset, url, openAt, retry);
        if (offset < file.Length)
        {
            stream._body = await retry.ExecuteAsync(url, token => openAt(offset, token), cancellationToken);
        }

        return stream;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var remaining = _file.Length - _position;
        if (remaining <= 0 || buffer.IsEmpty)
        {
            return 0;
        }

        var window = buffer[..(int)Math.Min(buffer.Length, remaining)];
        return await _retry.ExecuteAsync(_url, async token =>
        {
            try
            {
                _body ??= await _openAt(_position, token);
                var read = await _body.ReadAsync(window, token);
                if (read == 0)
                {
                    throw new TruncatedBodyException(_url, _file.Length, _position);
                }

                _position += read;
                return read;
            }
            catch
            {
                await DropBodyAsync();
                throw;
            }
        }, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        await DropBodyAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body?.Dispose();
            _body = null;
        }

        base.Dispose(disposing);
    }

    private async ValueTask DropBodyAsync()
    {
        if (_body is { } body)
        {
            _body = null;
            await body.DisposeAsync();
        }
    }
}

using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Contracts.IO;

namespace Fluid.Sdk;

/// <summary>
/// A file read through a cache agent, seekable: each run of reads is one streamed response from where it starts
/// (HTTP Range), so a sequential reader makes one request and a seek costs one more.
/// </summary>
internal sealed class AgentFileStream(CacheAgentClient agent, string namespaceName, string name, DatasetFileEntry file) : AsyncReadStream
{
    private Stream? _response;
    private long _responsePosition;
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override long Length => file.Length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= file.Length || buffer.IsEmpty)
        {
            return 0;
        }

        if (_response is null || _responsePosition != _position)
        {
            await CloseResponseAsync();
            _response = await agent.OpenReadAsync(namespaceName, name, file.Path, _position, cancellationToken);
            _responsePosition = _position;
        }

        var read = await _response.ReadAsync(buffer[..(int)Math.Min(buffer.Length, file.Length - _position)], cancellationToken);
        if (read == 0)
        {
            throw new IOException(
                $"The cache agent ended {file.Path} of dataset {namespaceName}/{name} at byte {_position} of {file.Length}: the file changed, or the agent stopped; open it again.");
        }

        _position += read;
        _responsePosition += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => file.Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return target;
    }

    public override string ToString() => $"{file.Path} of dataset {namespaceName}/{name}";

    public override async ValueTask DisposeAsync()
    {
        await CloseResponseAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response?.Dispose();
            _response = null;
        }

        base.Dispose(disposing);
    }

    private async ValueTask CloseResponseAsync()
    {
        if (_response is not null)
        {
            await _response.DisposeAsync();
            _response = null;
        }
    }
}

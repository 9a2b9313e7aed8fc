using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Fluid.Aspire.Cache.Tests.UnderStorage;

/// <summary>
/// A minimal HTTP server on a raw socket, for answers no real server gives on purpose: it serves one file's ranges
/// with a correct Content-Length, and sends fewer body bytes than announced, then closes, while
/// <see cref="TruncateFirst"/> connections are not yet served.
/// </summary>
internal sealed partial class RawHttpServer : IAsyncDisposable
{
    public const string ETag = "\"v1\"";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _content;
    private readonly Task _accepting;
    private int _connections;

    public RawHttpServer(byte[] content, int truncateFirst)
    {
        _content = content;
        TruncateFirst = truncateFirst;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>How many connections get a body cut in half.</summary>
    public int TruncateFirst { get; }

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The first byte each request asked for, in order.</summary>
    public List<long> RangeStarts { get; } = [];

    public Uri FileUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/file.bin");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var number = Interlocked.Increment(ref _connections);
                try
                {
                    await ServeAsync(client, truncate: number <= TruncateFirst);
                }
                catch (IOException)
                {
                    // The client hung up first; the next connection is served as usual.
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Answers one request, then closes: one connection per request keeps the count exact.</summary>
    private async Task ServeAsync(TcpClient client, bool truncate)
    {
        var stream = client.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer, _stop.Token) == 1)
        {
            head.Append((char)buffer[0]);
        }

        var range = Range().Match(head.ToString());
        var from = range.Success ? long.Parse(range.Groups["from"].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var to = range.Success && range.Groups["to"].Length > 0
            ? long.Parse(range.Groups["to"].Value, System.Globalization.CultureInfo.InvariantCulture)
            : _content.Length - 1;
        lock (RangeStarts)
        {
            RangeStarts.Add(from);
        }

        var length = (int)(to - from + 1);
        var header = $"HTTP/1.1 206 Partial Content\r\nContent-Length: {length}\r\nContent-Range: bytes {from}-{to}/{_content.Length}\r\n" +
                     $"ETag: {ETag}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(header), _stop.Token);
        await stream.WriteAsync(_content.AsMemory((int)from, truncate ? length / 2 : length), _stop.Token);
        await stream.FlushAsync(_stop.Token);
    }

    [GeneratedRegex(@"[Rr]ange: bytes=(?<from>\d+)-(?<to>\d*)")]
    private static partial Regex Range();
}

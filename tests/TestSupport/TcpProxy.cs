using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// A TCP relay on 127.0.0.1 to a real server, that a test can cut as a network partition would: while cut, bytes
/// in both directions are held, so the client sees silence, not a closed connection. It can also lose the answer to
/// one request: the server gets the request, the client never hears back, and then the connection breaks.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Link> _links = [];
    private TaskCompletionSource _open = NewOpen();
    private LostAnswer? _lostAnswer;

    public TcpProxy(IPEndPoint target)
    {
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        _open.SetResult();
        _ = AcceptAsync();
    }

    public Uri Url => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}");

    /// <summary>Holds all traffic until <see cref="Restore"/>.</summary>
    public void Cut() => Interlocked.Exchange(ref _open, NewOpen());

    public void Restore() => _open.TrySetResult();

    /// <summary>
    /// Forwards the next bytes from a client that contain <paramref name="marker"/>, and from then on throws away
    /// whatever the server sends back on that connection. Completes once those bytes went to the server; the test
    /// then sees to it that the server acted on them, and calls <see cref="BreakSilencedConnections"/>.
    /// </summary>
    public Task LoseAnswerToAsync(ReadOnlyMemory<byte> marker, CancellationToken cancellationToken)
    {
        var lost = new LostAnswer(marker);
        if (Interlocked.CompareExchange(ref _lostAnswer, lost, null) is not null)
        {
            throw new InvalidOperationException("The proxy is already waiting to lose an answer.");
        }

        return lost.Forwarded.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Resets the connections whose answers are being thrown away, as a failing network would.</summary>
    public void BreakSilencedConnections()
    {
        lock (_links)
        {
            foreach (var link in _links.Where(l => l.Silenced))
            {
                link.Reset();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        lock (_links)
        {
            _links.ForEach(l => l.Dispose());
        }

        _stop.Dispose();
    }

    private static TaskCompletionSource NewOpen() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var link = new Link(client, new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
            lock (_links)
            {
                _links.Add(link);
            }

            try
            {
                await link.Server.ConnectAsync(_target, _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                client.Dispose();
                continue;
            }

            _ = PumpAsync(link, toServer: true);
            _ = PumpAsync(link, toServer: false);
        }
    }

    private async Task PumpAsync(Link link, bool toServer)
    {
        var (from, to) = toServer ? (link.Client, link.Server) : (link.Server, link.Client);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var count = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (count == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                await Volatile.Read(ref _open).Task.WaitAsync(_stop.Token);
                LostAnswer? lost = null;
                if (toServer && Volatile.Read(ref _lostAnswer) is { } armed && buffer.AsSpan(0, count).IndexOf(armed.Marker.Span) >= 0
                    && Interlocked.CompareExchange(ref _lostAnswer, null, armed) == armed)
                {
                    // Silenced before the request leaves, so that no part of its answer can slip through.
                    link.Silenced = true;
                    lost = armed;
                }

                if (toServer || !link.Silenced)
                {
                    await to.SendAsync(buffer.AsMemory(0, count), SocketFlags.None, _stop.Token);
                }

                lost?.Forwarded.TrySetResult();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // The test is over, or a side closed.
        }
    }

    private sealed class LostAnswer(ReadOnlyMemory<byte> marker)
    {
        public ReadOnlyMemory<byte> Marker { get; } = marker;

        public TaskCompletionSource Forwarded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One client connection and the relay's connection to the server for it.</summary>
    private sealed class Link(Socket client, Socket server) : IDisposable
    {
        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        /// <summary>Nothing from the server reaches the client any more.</summary>
        public volatile bool Silenced;

        /// <summary>Closes both sides with a reset rather than an orderly end.</summary>
        public void Reset()
        {
            foreach (var socket in new[] { Client, Server })
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Closed already.
                }
            }

            Dispose();
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}

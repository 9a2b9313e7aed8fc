using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// One thread serving many connections: it sleeps in epoll until one of them has bytes, and serves them on the
/// spot. A fixed number of loops serves any number of clients, where a thread per client would run a node with
/// a thousand step processes out of threads.
/// </summary>
internal sealed class IpcLoop : IDisposable
{
    /// <summary>How often the loop looks up from its wait: to stop, and to close connections that never said Hello.</summary>
    private const int TickMilliseconds = 250;

    private const int EventsPerWait = 64;

    private readonly Epoll _epoll = new();
    private readonly ConcurrentDictionary<long, IpcConnection> _connections = new();
    private readonly Thread _thread;
    private readonly ILogger _logger;

    public IpcLoop(int index, ILogger logger, CancellationToken stopping)
    {
        _logger = logger;
        Stopping = stopping;
        _thread = new Thread(Run) { IsBackground = true, Name = $"objectstore ipc {index}" };
    }

    public CancellationToken Stopping { get; }

    /// <summary>The connections this loop serves, waiting ones included.</summary>
    public int Count => _connections.Count;

    public void Start() => _thread.Start();

    /// <summary>Takes a new connection in; from now on its bytes are served on this loop's thread.</summary>
    public void Add(IpcConnection connection)
    {
        _connections[connection.Id] = connection;
        Watch(connection);
    }

    /// <summary>Serves the connection again after a request that waited.</summary>
    public void Watch(IpcConnection connection)
    {
        if (Stopping.IsCancellationRequested)
        {
            connection.Close();
            return;
        }

        _epoll.Watch(connection.Descriptor, connection.Id);
    }

    public void Unwatch(IpcConnection connection) => _epoll.Unwatch(connection.Descriptor);

    /// <summary>Forgets a connection that is closing; called before its socket is closed.</summary>
    public void Remove(IpcConnection connection)
    {
        _connections.TryRemove(connection.Id, out _);
        _epoll.Unwatch(connection.Descriptor);
    }

    /// <summary>Waits for the thread to have closed its connections.</summary>
    public bool Join(TimeSpan timeout) => !_thread.IsAlive || _thread.Join(timeout);

    public void Dispose() => _epoll.Dispose();

    private void Run()
    {
        var events = Epoll.EventBuffer(EventsPerWait);
        Span<long> ready = stackalloc long[EventsPerWait];
        var lastCheck = Environment.TickCount64;
        try
        {
            while (!Stopping.IsCancellationRequested)
            {
                var count = _epoll.Wait(ready, events, TickMilliseconds);
                for (var i = 0; i < count; i++)
                {
                    if (_connections.TryGetValue(ready[i], out var connection))
                    {
                        connection.OnReadable();
                    }
                }

                if (Environment.TickCount64 - lastCheck >= 1000)
                {
                    lastCheck = Environment.TickCount64;
                    foreach (var (_, connection) in _connections)
                    {
                        connection.CheckHandshake();
                    }
                }
            }
        }
        catch (Exception ex)
        {
            // Only epoll itself can fail here (connections catch their own); without this loop its clients would
            // hang, so they are closed and told by the closing.
            _logger.LogCritical(ex, "An IPC loop of the object store failed; its {Count} client(s) are disconnected.", _connections.Count);
        }

        foreach (var (_, connection) in _connections)
        {
            if (!connection.Waiting)
            {
                connection.Close();
            }
        }
    }
}

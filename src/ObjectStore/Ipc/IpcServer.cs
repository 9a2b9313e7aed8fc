using System.Net.Sockets;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Sockets;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Listens on the daemon's Unix domain socket (mode 0660), admits clients of the users it serves up to its limit,
/// and spreads them over a fixed set of <see cref="IpcLoop"/>s.
/// </summary>
internal sealed class IpcServer(
    LocalStore store, IObjectCatalog catalog, DaemonSettings settings, IHostApplicationLifetime lifetime, ILogger<IpcServer> logger)
    : BackgroundService
{
    private readonly CancellationTokenSource _stopping = new();
    private IpcLoop[] _loops = [];
    private Socket? _listener;
    private long _lastConnection;

    public string SocketPath => settings.SocketPath;

    /// <summary>The clients connected now.</summary>
    public int Clients => _loops.Sum(l => l.Count);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = SocketFile.Listen(settings.SocketPath, "--socket");
        _loops = Enumerable.Range(0, settings.IpcThreads).Select(i => new IpcLoop(i, logger, _stopping.Token)).ToArray();
        foreach (var loop in _loops)
        {
            loop.Start();
        }

        logger.LogInformation("Serving clients on {Socket} ({Threads} thread(s), at most {Max} clients).",
            settings.SocketPath, settings.IpcThreads, settings.MaxClients);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        foreach (var loop in _loops)
        {
            if (loop.Join(TimeSpan.FromSeconds(2)))
            {
                loop.Dispose();
            }
        }

        SocketFile.Remove(settings.SocketPath);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;

        // Ids carry the instance number, and a client may go on to the gRPC port: clients wait in the backlog until
        // the instance has its number and Kestrel listens, so a client that got an answer finds the whole daemon up.
        await lifetime.WhenStartedAsync(stoppingToken);
        await catalog.Ready.WaitAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping: the listener closed under a pending accept ("Operation canceled"), which is no failure.
                return;
            }
            catch (SocketException ex)
            {
                // Out of descriptors, for example: wait a little rather than spin, and go on serving.
                logger.LogWarning("Accepting a client failed ({Reason}); retrying.", ex.Message);
                await Task.Delay(100, stoppingToken);
                continue;
            }

            Admit(client);
        }
    }

    /// <summary>Hands the client to the least busy loop, or tells it why it is refused and closes it.</summary>
    private void Admit(Socket client)
    {
        try
        {
            client.SendTimeout = (int)IpcConnection.SendTimeout.TotalMilliseconds;
            var peer = PeerCredentials.Of(client);
            if (!settings.AllowedUids.Contains(peer.UserId))
            {
                logger.LogWarning("Refused a client ({Peer}): its user may not use this store.", peer);
                Refuse(client, ObjectStoreErrorCode.PermissionDenied,
                    $"Your user (uid {peer.UserId}) may not use the object store at {settings.SocketPath}, which serves uids " +
                    $"{string.Join(", ", settings.AllowedUids.Order())}. Run as one of them, or start the daemon with --allow-uid {peer.UserId}.");
                return;
            }

            if (Clients >= settings.MaxClients)
            {
                logger.LogWarning("Refused a client ({Peer}): {Max} clients are connected, the most this daemon serves.", peer, settings.MaxClients);
                Refuse(client, ObjectStoreErrorCode.TooManyClients,
                    $"The object store at {settings.SocketPath} serves at most {settings.MaxClients} clients at once, and has them. " +
                    "Close connections no longer needed (one per process is enough), or start the daemon with a higher --max-clients.");
                return;
            }

            var loop = _loops.MinBy(l => l.Count)!;
            loop.Add(new IpcConnection(Interlocked.Increment(ref _lastConnection), client, peer, loop, store, settings.NodeName, settings.MaxFrameLength, logger));
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or System.ComponentModel.Win32Exception)
        {
            logger.LogWarning("Could not take in a client ({Reason}); its connection was closed.", ex.Message);
            client.Dispose();
        }
    }

    /// <summary>Answers the client's Hello-to-be with the error, and closes.</summary>
    private static void Refuse(Socket client, ObjectStoreErrorCode code, string message)
    {
        var writer = new FrameWriter();
        new ErrorResponse(code, message).Write(writer);
        try
        {
            client.Send(writer.End().Span);
            client.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // Gone already.
        }
        finally
        {
            client.Dispose();
        }
    }
}

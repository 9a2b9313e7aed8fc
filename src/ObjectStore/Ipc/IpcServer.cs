using System.Net.Sockets;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.ObjectStore.Cluster;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Listens on the daemon's Unix domain socket (mode 0660) and serves each client on its own thread, so that a slow
/// or broken client never holds up another.
/// </summary>
internal sealed class IpcServer(
    LocalStore store, IObjectCatalog catalog, DaemonSettings settings, IHostApplicationLifetime lifetime, ILogger<IpcServer> logger)
    : BackgroundService
{
    private Socket? _listener;

    public string SocketPath => settings.SocketPath;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = SocketFile.Listen(settings.SocketPath);
        logger.LogInformation("Serving clients on {Socket}.", settings.SocketPath);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        await base.StopAsync(cancellationToken);
        SocketFile.Remove(settings.SocketPath);
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

            try
            {
                new IpcConnection(client, store, settings.NodeName, settings.MaxFrameLength, logger).Start(stoppingToken);
            }
            catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException)
            {
                // At the system's limit of threads or processes: this client is turned away, the others go on.
                logger.LogError("No thread for a new client ({Reason}); its connection was closed. Raise the limit of threads " +
                    "(ulimit -u, the container's pids limit) or reduce the clients on this node.", ex.Message);
            }
        }
    }
}

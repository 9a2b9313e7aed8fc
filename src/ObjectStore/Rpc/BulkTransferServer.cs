using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Fluid.Aspire.ObjectStore.Daemon;
using Fluid.Aspire.ObjectStore.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// The bulk channel: a plain TCP listener that streams the blobs of one leased object per connection. A peer asks
/// for a transfer over gRPC (OpenBulkTransfer), gets a one-time token, connects here, sends the token with its proof
/// of the cluster's token, and reads the bytes. Unclaimed transfers are dropped after a while so that their objects
/// are not held for ever.
/// </summary>
internal sealed class BulkTransferServer(DaemonSettings settings, DaemonEndpoints endpoints, ILogger<BulkTransferServer> logger)
    : BackgroundService
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ObjectLease> _pending = new(StringComparer.Ordinal);
    private Socket? _listener;

    /// <summary>Registers a leased object for one bulk connection; returns the token that claims it.</summary>
    public byte[] Offer(ObjectLease lease)
    {
        var token = RandomNumberGenerator.GetBytes(BulkChannel.TokenLength);
        var key = Convert.ToHexString(token);
        _pending[key] = lease;
        _ = ExpireAsync(key);
        return token;
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Parse(settings.BindAddress), settings.BulkPort));
        _listener.Listen(128);
        var port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        endpoints.BulkEndpoint = $"{settings.AdvertiseAddress}:{port}";
        logger.LogInformation("Bulk channel on {Endpoint}.", endpoints.BulkEndpoint);
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Dispose();
        await base.StopAsync(cancellationToken);
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var lease))
            {
                lease.Dispose();
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener!.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                logger.LogWarning("Accepting a bulk connection failed ({Reason}); retrying.", ex.Message);
                await Task.Delay(100, stoppingToken);
                continue;
            }

            _ = Task.Run(() => ServeAsync(peer, stoppingToken), CancellationToken.None);
        }
    }

    private async Task ServeAsync(Socket peer, CancellationToken stoppingToken)
    {
        using (peer)
        {
            try
            {
                BulkChannel.Tune(peer);
                var claim = new byte[BulkChannel.TokenLength + BulkChannel.ProofLength];
                using var claiming = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                claiming.CancelAfter(ClaimTimeout);
                for (var received = 0; received < claim.Length;)
                {
                    var count = await peer.ReceiveAsync(claim.AsMemory(received), SocketFlags.None, claiming.Token);
                    received += count > 0 ? count : throw new IOException("The peer closed the bulk connection before sending its token and proof.");
                }

                var token = claim.AsSpan(0, BulkChannel.TokenLength);
                if (!_pending.TryRemove(Convert.ToHexString(token), out var lease))
                {
                    logger.LogWarning("A bulk connection from {Peer} sent an unknown or expired token; closing it.", peer.RemoteEndPoint);
                    await BulkChannel.RefuseAsync(peer, "unknown or expired ticket; ask for a new one with OpenBulkTransfer.", stoppingToken);
                    return;
                }

                using (lease)
                {
                    // The ticket came from an authenticated call; the proof binds the connection to the cluster's token
                    // too, so that a ticket seen on the wire is of no use without it. Refused, the ticket is spent.
                    if (settings.Token is { } cluster
                        && !CryptographicOperations.FixedTimeEquals(claim.AsSpan(BulkChannel.TokenLength), BulkChannel.Proof(token, cluster)))
                    {
                        logger.LogWarning("A bulk connection from {Peer} did not prove the cluster's token; refusing it.", peer.RemoteEndPoint);
                        await BulkChannel.RefuseAsync(peer, "the connection did not prove the cluster's token; give the caller the cluster's token file.", stoppingToken);
                        return;
                    }

                    await peer.SendAsync((byte[])[BulkChannel.Accepted], SocketFlags.None, stoppingToken);
                    foreach (var blob in lease.Blobs)
                    {
                        await BulkChannel.SendAsync(peer, blob, stoppingToken);
                    }
                }

                peer.Shutdown(SocketShutdown.Send);
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                logger.LogWarning("A bulk transfer to {Peer} failed: {Reason}", peer.RemoteEndPoint, ex.Message);
            }
        }
    }

    private async Task ExpireAsync(string key)
    {
        await Task.Delay(ClaimTimeout);
        if (_pending.TryRemove(key, out var lease))
        {
            logger.LogWarning("A bulk transfer of {Object} was never claimed; releasing the object.", lease.Meta.Id);
            lease.Dispose();
        }
    }
}

using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>A daemon that stops ends its clients' connections, though each is served by a thread blocked in a receive.</summary>
public sealed class DaemonStopTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stopping_the_daemon_closes_the_connections_of_idle_clients_and_of_those_mid_handshake()
    {
        using var directory = new TemporaryDirectory();
        var socketPath = Path.Combine(directory.Path, "os.sock");
        await using var app = InProcessDaemon.Build(socketPath);
        await app.StartAsync(Cancellation);
        await using var idle = await ObjectStoreClient.ConnectAsync(socketPath, Cancellation);
        await idle.GetStatsAsync(Cancellation);
        using var silent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await silent.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), Cancellation);
        // Connections are accepted in the order they came: once a later one is served, the silent one has its thread,
        // waiting for a Hello. (One still in the listen backlog would be reset when the listener closes, not shut.)
        await using (var later = await ObjectStoreClient.ConnectAsync(socketPath, Cancellation))
        {
            await later.GetStatsAsync(Cancellation);
        }

        await app.StopAsync(Cancellation);

        using var patience = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        patience.CancelAfter(TimeSpan.FromSeconds(20));
        var closed = await Assert.ThrowsAsync<ObjectStoreException>(() => idle.GetStatsAsync(patience.Token));
        Assert.Equal(ObjectStoreErrorCode.Unavailable, closed.Code);
        Assert.Equal(0, await silent.ReceiveAsync(new byte[16], SocketFlags.None, patience.Token));
    }
}

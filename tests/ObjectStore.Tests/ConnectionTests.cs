using System.Net;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>A client's connection answers each request with its own answer, whatever the caller cancels.</summary>
public sealed class ConnectionTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_request_cancelled_while_in_flight_does_not_hand_its_answer_to_the_next_one()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var first = await client.PutAsync("first"u8.ToArray(), new PutOptions { Name = "first" }, Cancellation);
        var second = await client.PutAsync("second"u8.ToArray(), new PutOptions { Name = "second" }, Cancellation);

        for (var i = 0; i < 500; i++)
        {
            // Cancelled once the request is sent and before its answer is read.
            using var cancellation = new CancellationTokenSource();
            var pending = client.GetAsync("first", cancellationToken: cancellation.Token);
            await cancellation.CancelAsync();
            try
            {
                using var late = await pending;
                Assert.Equal(first, late.Id);
            }
            catch (OperationCanceledException)
            {
                // Cancelled before it was sent, or given up before its answer came: that answer is read and let go.
            }

            using var next = await client.GetAsync("second", cancellationToken: Cancellation);
            Assert.Equal(second, next.Id);
        }

        var before = await client.GetStatsAsync(Cancellation);
        Assert.Equal(2, before.Objects);

        // Every answer given up was released: deleting the object frees its memory at once.
        await client.DeleteAsync("first", Cancellation);
        var after = await client.GetStatsAsync(Cancellation);
        Assert.True(after.Used < before.Used, $"Deleting 'first' left {after.Used} bytes used of {before.Used}: a got answer was never released.");
    }

    [Fact]
    public async Task A_request_stalled_in_the_daemon_can_be_given_up_and_the_connection_stays_in_step()
    {
        await using var etcd = await EtcdServer.StartAsync(Cancellation);
        await using var partition = new TcpProxy(new IPEndPoint(IPAddress.Loopback, etcd.ClientPort));
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--etcd", partition.Url.ToString()]);
        await using var client = await daemon.ConnectAsync(Cancellation);
        var id = await client.PutAsync("stalled"u8.ToArray(), new PutOptions { Name = "stalled" }, Cancellation);

        // The daemon's persist waits on etcd, which hears nothing while the partition lasts.
        partition.Cut();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        giveUp.CancelAfter(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.PersistAsync(id, giveUp.Token));

        var next = client.GetAsync("stalled", cancellationToken: Cancellation);
        partition.Restore();
        using var handle = await next;
        Assert.Equal(id, handle.Id);
        Assert.Equal("stalled"u8.ToArray(), handle.Blobs[0].Span.ToArray());
    }
}

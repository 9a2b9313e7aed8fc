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
                // Cancelled before it was sent: nothing is in flight.
            }

            using var next = await client.GetAsync("second", cancellationToken: Cancellation);
            Assert.Equal(second, next.Id);
        }

        Assert.Equal(2, (await client.GetStatsAsync(Cancellation)).Objects);
    }
}

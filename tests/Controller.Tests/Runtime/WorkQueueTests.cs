using Fluid.Aspire.Controller.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Fluid.Aspire.Controller.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_added_many_times_is_queued_once()
    {
        using var queue = new WorkQueue<string>();

        queue.Add("default/a");
        queue.Add("default/a");
        queue.Add("default/b");
        queue.Add("default/a");

        Assert.Equal(2, queue.Count);
        Assert.Equal("default/a", (await queue.TakeAsync(Cancellation)).Key);
        Assert.Equal("default/b", (await queue.TakeAsync(Cancellation)).Key);
    }

    [Fact]
    public async Task A_key_added_while_processed_waits_for_Done_and_is_then_processed_again()
    {
        using var queue = new WorkQueue<string>();
        queue.Add("k");
        var (_, key) = await queue.TakeAsync(Cancellation);

        queue.Add(key);

        Assert.Equal(0, queue.Count);
        var second = queue.TakeAsync(Cancellation);
        await Task.Delay(50, Cancellation);
        Assert.False(second.IsCompleted, "a key must not be handed to two workers at once");
        queue.Done(key);
        Assert.Equal("k", (await second.WaitAsync(TimeSpan.FromSeconds(5), Cancellation)).Key);
    }

    [Fact]
    public void Failures_back_off_exponentially_per_key_until_forgotten()
    {
        using var queue = new WorkQueue<string>(new FakeTimeProvider(), TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromMilliseconds(10), queue.AddRateLimited("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(20), queue.AddRateLimited("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(40), queue.AddRateLimited("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), queue.AddRateLimited("other"));
        for (var i = 0; i < 20; i++)
        {
            queue.AddRateLimited("k");
        }

        Assert.Equal(TimeSpan.FromSeconds(1), queue.AddRateLimited("k"));
        queue.Forget("k");
        Assert.Equal(0, queue.Failures("k"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), queue.AddRateLimited("k"));
    }

    [Fact]
    public async Task A_delayed_key_arrives_when_the_clock_says_so_and_the_earliest_delay_wins()
    {
        var clock = new FakeTimeProvider();
        using var queue = new WorkQueue<string>(clock);

        queue.AddAfter("later", TimeSpan.FromMinutes(5));
        queue.AddAfter("later", TimeSpan.FromMinutes(1));
        queue.AddAfter("later", TimeSpan.FromMinutes(10));

        Assert.Equal(0, queue.Count);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, queue.Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("later", (await queue.TakeAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(5), Cancellation)).Key);
    }

    [Fact]
    public async Task Shutting_down_releases_waiting_workers()
    {
        using var queue = new WorkQueue<string>();
        var waiting = queue.TakeAsync(Cancellation);

        queue.ShutDown();

        Assert.False((await waiting.WaitAsync(TimeSpan.FromSeconds(5), Cancellation)).Ok);
        queue.Add("ignored");
        Assert.Equal(0, queue.Count);
    }
}

using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.ObjectStore.Store;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>The daemon's ids: unique and increasing from any number of threads, borrowing milliseconds when one is not enough.</summary>
public sealed class ObjectIdGeneratorTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static long NowMilliseconds => (long)(Now - ObjectId.Epoch).TotalMilliseconds;

    [Fact]
    public void Ids_carry_the_instance_the_time_and_a_sequence()
    {
        var generator = new ObjectIdGenerator(() => 37, new FrozenClock(Now));

        var first = generator.NextObject();
        var second = generator.NextBlob();

        Assert.Equal(ObjectId.Create(NowMilliseconds, 37, 0, blob: false), first);
        Assert.Equal(ObjectId.Create(NowMilliseconds, 37, 1, blob: true), second);
        Assert.Equal(Now, first.CreatedAt);
        Assert.Equal(37, second.Instance);
        Assert.False(first.IsBlob);
        Assert.True(second.IsBlob);
    }

    [Fact]
    public void A_new_millisecond_starts_the_sequence_again()
    {
        var clock = new FrozenClock(Now);
        var generator = new ObjectIdGenerator(() => 1, clock);
        generator.NextObject();
        generator.NextObject();

        clock.Now = Now.AddMilliseconds(5);

        Assert.Equal(ObjectId.Create(NowMilliseconds + 5, 1, 0, blob: false), generator.NextObject());
    }

    [Fact]
    public void Beyond_4096_ids_in_one_millisecond_the_next_milliseconds_are_borrowed()
    {
        // A clock that never moves: every id is asked for in the same millisecond.
        var generator = new ObjectIdGenerator(() => ObjectId.MaxInstance, new FrozenClock(Now));
        const int count = (4 * (ObjectId.MaxSequence + 1)) + 10;

        var ids = Enumerable.Range(0, count).Select(i => i % 3 == 0 ? generator.NextBlob() : generator.NextObject()).ToArray();

        for (var i = 0; i < count; i++)
        {
            var perMillisecond = ObjectId.MaxSequence + 1;
            Assert.Equal(ObjectId.Create(NowMilliseconds + (i / perMillisecond), ObjectId.MaxInstance, i % perMillisecond, blob: i % 3 == 0), ids[i]);
        }

        Assert.Equal(Now.AddMilliseconds(4), ids[^1].CreatedAt);
        Assert.Equal(count, ids.Distinct().Count());
    }

    [Fact]
    public void A_clock_that_goes_back_does_not_make_ids_go_back()
    {
        var clock = new FrozenClock(Now);
        var generator = new ObjectIdGenerator(() => 2, clock);
        var before = generator.NextObject();

        clock.Now = Now.AddSeconds(-10);
        var after = generator.NextObject();

        Assert.True(Sortable(after) > Sortable(before));
        Assert.Equal(Now, after.CreatedAt);
    }

    [Fact]
    public void Ids_from_many_threads_are_unique_and_each_threads_ids_increase()
    {
        const int threads = 8;
        const int perThread = 20_000;

        // The real clock, and a frozen one, where all the threads fight over borrowed milliseconds.
        foreach (var clock in new TimeProvider[] { TimeProvider.System, new FrozenClock(Now) })
        {
            var generator = new ObjectIdGenerator(() => 5, clock);
            var perThreadIds = new ObjectId[threads][];
            using var start = new Barrier(threads);
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                var ids = new ObjectId[perThread];
                start.SignalAndWait();
                for (var i = 0; i < perThread; i++)
                {
                    ids[i] = (i & 1) == 0 ? generator.NextObject() : generator.NextBlob();
                }

                perThreadIds[t] = ids;
            })).ToArray();
            foreach (var worker in workers)
            {
                worker.Start();
            }

            foreach (var worker in workers)
            {
                worker.Join();
            }

            var all = perThreadIds.SelectMany(ids => ids).ToArray();
            Assert.Equal(threads * perThread, all.Select(Sortable).Distinct().Count());
            Assert.All(all, id => Assert.Equal(5, id.Instance));
            Assert.All(perThreadIds, ids =>
            {
                for (var i = 1; i < ids.Length; i++)
                {
                    Assert.True(Sortable(ids[i]) > Sortable(ids[i - 1]), $"{ids[i]} follows {ids[i - 1]} on one thread");
                    Assert.Equal((i & 1) == 1, ids[i].IsBlob);
                }
            });
        }
    }

    /// <summary>The id without its blob bit: blobs and objects share one sequence.</summary>
    private static ulong Sortable(ObjectId id) => id.Value & ~(1UL << 63);

    private sealed class FrozenClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

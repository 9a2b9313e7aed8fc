using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// Hands out ids that are unique across the cluster: the instance number keeps instances apart, and a monotonic
/// (millisecond, sequence) pair keeps one instance's ids apart, borrowing from the next millisecond when 4,096
/// ids in one millisecond are not enough. Lock-free.
/// </summary>
/// <param name="instance">Read for every id: an instance that lost its lease may come back under another number.</param>
/// <param name="clock">The source of the millisecond field.</param>
internal sealed class ObjectIdGenerator(Func<int> instance, TimeProvider clock)
{
    private long _last;

    public ObjectId NextObject() => Next(blob: false);

    public ObjectId NextBlob() => Next(blob: true);

    private ObjectId Next(bool blob)
    {
        var now = (long)(clock.GetUtcNow() - ObjectId.Epoch).TotalMilliseconds << ObjectId.SequenceBits;
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return ObjectId.Create(next >> ObjectId.SequenceBits, instance(), (int)(next & ObjectId.MaxSequence), blob);
            }
        }
    }
}

using Fluid.Aspire.ObjectStore.Memory;

namespace Fluid.Aspire.ObjectStore.Tests.Memory;

public sealed class ArenaAllocatorTests
{
    private const long KiB = 1024, MiB = 1024 * KiB, GiB = 1024 * MiB, TiB = 1024 * GiB;

    [Fact]
    public void AllocFreeCoalescesBackToSingleBlock()
    {
        var a = new ArenaAllocator(1 * MiB);
        Assert.True(a.TryAllocate(1000, out var x));
        Assert.True(a.TryAllocate(5000, out var y));
        Assert.True(a.TryAllocate(70000, out var z));
        Assert.Equal(3, a.AllocationCount);
        Assert.Equal(x.Size + y.Size + z.Size, a.Used);
        Assert.Equal(a.Capacity - a.Used, a.FreeBytes);
        a.CheckInvariants();

        a.Free(y.Offset); // hole in the middle
        Assert.Equal(2, a.FreeBlockCount);
        a.Free(x.Offset); // merges with the hole (next neighbour)
        Assert.Equal(2, a.FreeBlockCount);
        a.Free(z.Offset); // merges with both neighbours
        a.CheckInvariants();
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(0, a.AllocationCount);
        Assert.Equal(0, a.Used);
        Assert.Equal(a.Capacity, a.LargestFreeBlock);
        Assert.Equal(0.0, a.Fragmentation);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(64)]
    [InlineData(4096)]
    public void OffsetsAreAlignedAndSizesRounded(int alignment)
    {
        var a = new ArenaAllocator(64 * MiB + 7, alignment);
        Assert.Equal(alignment, a.Alignment);
        Assert.Equal(0, a.Capacity % alignment);
        long[] sizes = [1, alignment - 1, alignment, alignment + 1, 3 * alignment - 5, 12345, 1 * MiB + 1];
        foreach (long size in sizes)
        {
            Assert.True(a.TryAllocate(size, out var al));
            Assert.Equal(0, al.Offset % alignment);
            Assert.Equal((size + alignment - 1) / alignment * alignment, al.Size);
            Assert.Equal(al.Size, a.SizeOf(al.Offset));
        }

        a.CheckInvariants();
    }

    [Fact]
    public void CapacityIsRoundedDownAndValidated()
    {
        Assert.Equal(1024, new ArenaAllocator(1024 + 63).Capacity);
        Assert.Equal(64, new ArenaAllocator(64).Capacity);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(0));
        Assert.Contains("Capacity", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(63));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(1024, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(1024, 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ArenaAllocator(1024).TryAllocate(0, out _));
    }

    [Theory]
    [InlineData(64L * 1000 + 37)]
    [InlineData(16L * 1024 * 1024 * 1024 + 3 * 64)]
    [InlineData(2L * 1024 * 1024 * 1024 * 1024 - 64)]
    public void ExactFitOfWholeCapacityThenFull(long capacity)
    {
        var a = new ArenaAllocator(capacity);
        Assert.True(a.TryAllocate(a.Capacity, out var all));
        Assert.Equal(new ArenaAllocation(0, a.Capacity), all);
        Assert.Equal(0, a.FreeBytes);
        Assert.Equal(0, a.FreeBlockCount);
        Assert.Equal(0, a.LargestFreeBlock);
        Assert.Equal(0.0, a.Fragmentation);
        Assert.False(a.TryAllocate(1, out var none));
        Assert.Equal(default, none);
        Assert.False(a.TryAllocate(long.MaxValue, out _));
        a.Free(0);
        Assert.Equal(a.Capacity, a.LargestFreeBlock);
        a.CheckInvariants();
    }

    [Fact]
    public void FullArenaReturnsFalse()
    {
        var a = new ArenaAllocator(64 * KiB);
        int n = 0;
        while (a.TryAllocate(1000, out _))
        {
            n++;
        }

        Assert.Equal(64, n); // 1000 rounds to 1024
        Assert.False(a.TryAllocate(1, out _));
        Assert.False(a.TryAllocate(10 * MiB, out _));
        a.CheckInvariants();
    }

    [Fact]
    public void TerabyteSizes()
    {
        var a = new ArenaAllocator(4 * TiB, 4096);
        Assert.True(a.TryAllocate(1 * TiB, out var x));
        Assert.True(a.TryAllocate(2 * TiB + 1, out var y));
        Assert.Equal(2 * TiB + 4096, y.Size);
        Assert.Equal(1 * TiB - 4096, a.LargestFreeBlock);
        Assert.False(a.TryAllocate(1 * TiB, out _));
        a.Free(x.Offset);
        Assert.True(a.TryAllocate(1 * TiB, out _));
        a.CheckInvariants();
    }

    [Fact]
    public void DoubleFreeAndUnknownOffsetThrowWithOffset()
    {
        var a = new ArenaAllocator(1 * MiB);
        Assert.True(a.TryAllocate(100, out _));
        Assert.True(a.TryAllocate(100, out var b));
        a.Free(b.Offset);
        var ex = Assert.Throws<InvalidOperationException>(() => a.Free(b.Offset));
        Assert.Contains(b.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<InvalidOperationException>(() => a.Free(12352));
        Assert.Contains("12352", ex.Message, StringComparison.Ordinal);
        Assert.Contains("7", Assert.Throws<InvalidOperationException>(() => a.SizeOf(7)).Message, StringComparison.Ordinal);
        Assert.Contains("999", Assert.Throws<InvalidOperationException>(() => a.Shrink(999, 1)).Message, StringComparison.Ordinal);
        a.CheckInvariants();
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(-64L)]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    public void ExtremeOffsetsAreUnknown(long offset)
    {
        var a = new ArenaAllocator(1 * MiB);
        Assert.True(a.TryAllocate(64, out _));
        string text = offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Contains(text, Assert.Throws<InvalidOperationException>(() => a.Free(offset)).Message, StringComparison.Ordinal);
        Assert.Contains(text, Assert.Throws<InvalidOperationException>(() => a.SizeOf(offset)).Message, StringComparison.Ordinal);
        a.CheckInvariants();
    }

    [Fact]
    public void ManyLiveAllocationsStayAddressable()
    {
        const int N = 300_000; // forces several doublings of the block pool and the offset map
        var a = new ArenaAllocator(N * 16L, 16);
        var offsets = new long[N];
        for (int i = 0; i < N; i++)
        {
            Assert.True(a.TryAllocate(1 + (i % 16), out var al));
            offsets[i] = al.Offset;
        }

        Assert.False(a.TryAllocate(1, out _));
        Assert.Equal(N, a.AllocationCount);
        a.CheckInvariants();
        var rng = new Random(7);
        rng.Shuffle(offsets);
        for (int i = 0; i < N / 2; i++)
        {
            a.Free(offsets[i]);
        }

        a.CheckInvariants();
        for (int i = N / 2; i < N; i++)
        {
            Assert.Equal(16, a.SizeOf(offsets[i]));
        }

        for (int i = 0; i < N / 2; i++)
        {
            Assert.Throws<InvalidOperationException>(() => a.SizeOf(offsets[i]));
        }

        for (int i = N / 2; i < N; i++)
        {
            a.Free(offsets[i]);
        }

        a.CheckInvariants();
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(a.Capacity, a.LargestFreeBlock);
    }

    [Fact]
    public void ShrinkReturnsTailAndCoalesces()
    {
        var a = new ArenaAllocator(1 * MiB);
        Assert.True(a.TryAllocate(4096, out var x));
        Assert.True(a.TryAllocate(4096, out var y));
        Assert.True(a.TryAllocate(a.FreeBytes, out var rest));

        // Next neighbour allocated: the tail becomes a new free block.
        Assert.Equal(new ArenaAllocation(x.Offset, 128), a.Shrink(x.Offset, 100));
        Assert.Equal(128, a.SizeOf(x.Offset));
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(4096 - 128, a.FreeBytes);
        a.CheckInvariants();

        // Freeing y merges with the tail before it.
        a.Free(y.Offset);
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(8192 - 128, a.LargestFreeBlock);

        // Next neighbour free: the tail is merged into it.
        Assert.Equal(64, a.Shrink(x.Offset, 1).Size);
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(8192 - 64, a.LargestFreeBlock);
        Assert.True(a.TryAllocate(8192 - 64, out var refill));
        Assert.Equal(64, refill.Offset);

        // Same rounded size: nothing changes. Growing is rejected.
        Assert.Equal(new ArenaAllocation(x.Offset, 64), a.Shrink(x.Offset, 64));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Shrink(x.Offset, 65));
        Assert.Throws<ArgumentOutOfRangeException>(() => a.Shrink(x.Offset, 0));

        // Shrinking the last block coalesces with nothing after it.
        a.Free(refill.Offset);
        long freeBefore = a.FreeBytes;
        Assert.Equal(1024, a.Shrink(rest.Offset, 1024).Size);
        Assert.Equal(freeBefore + rest.Size - 1024, a.FreeBytes);
        Assert.Equal(2, a.FreeBlockCount);
        Assert.Equal(a.Capacity - rest.Offset - 1024, a.LargestFreeBlock);
        a.CheckInvariants();
    }

    [Fact]
    public void AlternateFreesFragment()
    {
        var a = new ArenaAllocator(100 * KiB);
        var offsets = new List<long>();
        while (a.TryAllocate(1 * KiB, out var al))
        {
            offsets.Add(al.Offset);
        }

        Assert.Equal(100, offsets.Count);
        for (int i = 0; i < offsets.Count; i += 2)
        {
            a.Free(offsets[i]);
        }

        Assert.Equal(50, a.FreeBlockCount);
        Assert.Equal(50 * KiB, a.FreeBytes);
        Assert.Equal(1 * KiB, a.LargestFreeBlock);
        Assert.Equal(1.0 - (1.0 / 50), a.Fragmentation, 12);
        Assert.False(a.TryAllocate(2 * KiB, out _)); // plenty of free bytes, no block large enough

        a.Free(offsets[1]); // joins blocks 0..2
        Assert.Equal(3 * KiB, a.LargestFreeBlock);
        Assert.Equal(1.0 - (3.0 / 51), a.Fragmentation, 12);
        a.CheckInvariants();
    }

    [Theory]
    [InlineData(1, 64)]
    [InlineData(2, 16)]
    [InlineData(3, 4096)]
    public void RandomizedAgainstReferenceModel(int seed, int alignment)
    {
        var rng = new Random(seed);
        var a = new ArenaAllocator((64 * MiB) + 1234, alignment);
        var model = new List<ArenaAllocation>(); // live allocations sorted by offset
        long used = 0;
        int failures = 0;
        const int Ops = 70_000;

        for (int op = 0; op < Ops; op++)
        {
            int kind = rng.Next(100);
            if (kind < 55 || model.Count == 0)
            {
                long size = rng.Next(10) == 0 ? rng.NextInt64(1, a.Capacity / 4) : (long)Math.Exp(rng.NextDouble() * Math.Log(1 * MiB));
                size = Math.Max(1, size);
                long rounded = (size + alignment - 1) / alignment * alignment;
                if (a.TryAllocate(size, out var al))
                {
                    Assert.Equal(rounded, al.Size);
                    Assert.Equal(0, al.Offset % alignment);
                    Assert.InRange(al.Offset, 0, a.Capacity - al.Size);
                    int idx = ~model.BinarySearch(al, OffsetComparer.Instance);
                    Assert.True(idx >= 0, "offset handed out twice");
                    Assert.True(idx == 0 || model[idx - 1].Offset + model[idx - 1].Size <= al.Offset, "overlaps predecessor");
                    Assert.True(idx == model.Count || al.Offset + al.Size <= model[idx].Offset, "overlaps successor");
                    model.Insert(idx, al);
                    used += al.Size;
                }
                else
                {
                    failures++;
                    Assert.True(Gaps(model, a.Capacity).Largest < rounded, "TryAllocate failed although a gap fits");
                }
            }
            else if (kind < 95)
            {
                int idx = rng.Next(model.Count);
                a.Free(model[idx].Offset);
                used -= model[idx].Size;
                model.RemoveAt(idx);
            }
            else
            {
                int idx = rng.Next(model.Count);
                var old = model[idx];
                var shrunk = a.Shrink(old.Offset, rng.NextInt64(1, old.Size + 1));
                Assert.Equal(old.Offset, shrunk.Offset);
                used -= old.Size - shrunk.Size;
                model[idx] = shrunk;
            }

            Assert.Equal(used, a.Used);
            Assert.Equal(a.Capacity - used, a.FreeBytes);
            Assert.Equal(model.Count, a.AllocationCount);
            if (op % 97 == 0)
            {
                var (count, largest) = Gaps(model, a.Capacity);
                Assert.Equal(count, a.FreeBlockCount);
                Assert.Equal(largest, a.LargestFreeBlock);
                a.CheckInvariants();
            }
        }

        Assert.True(failures > 100, $"the arena should have filled up regularly, failures={failures}");
        Assert.Throws<InvalidOperationException>(() => a.Free(model[0].Offset + 1));
        while (model.Count > 0)
        {
            int idx = rng.Next(model.Count);
            a.Free(model[idx].Offset);
            model.RemoveAt(idx);
        }

        a.CheckInvariants();
        Assert.Equal(1, a.FreeBlockCount);
        Assert.Equal(0, a.Used);
        Assert.Equal(a.Capacity, a.LargestFreeBlock);
        Assert.Equal(0.0, a.Fragmentation);
    }

    private static (int Count, long Largest) Gaps(List<ArenaAllocation> model, long capacity)
    {
        int count = 0;
        long largest = 0, cursor = 0;
        foreach (var al in model)
        {
            if (al.Offset > cursor)
            {
                count++;
                largest = Math.Max(largest, al.Offset - cursor);
            }

            cursor = al.Offset + al.Size;
        }

        if (capacity > cursor)
        {
            count++;
            largest = Math.Max(largest, capacity - cursor);
        }

        return (count, largest);
    }

    private sealed class OffsetComparer : IComparer<ArenaAllocation>
    {
        public static readonly OffsetComparer Instance = new();

        public int Compare(ArenaAllocation x, ArenaAllocation y) => x.Offset.CompareTo(y.Offset);
    }
}

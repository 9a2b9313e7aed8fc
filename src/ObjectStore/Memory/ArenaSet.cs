
namespace Fluid.Aspire.ObjectStore.Memory;

/// <summary>Where a blob lives: its arena and the block reserved for it there.</summary>
internal readonly record struct BlobSpace(Arena Arena, long Offset, long Capacity);

/// <summary>
/// All the daemon's shared memory: the arenas that together make up <c>--size</c>. Allocation tries each arena in
/// turn. Not thread-safe: the store calls it under its lock.
/// </summary>
internal sealed class ArenaSet : IDisposable
{
    private readonly Arena[] _arenas;

    public ArenaSet(long size, long arenaSize, bool reserve)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, ArenaAllocator.DefaultAlignment);
        ArgumentOutOfRangeException.ThrowIfLessThan(arenaSize, ArenaAllocator.DefaultAlignment);
        var count = (int)((size + arenaSize - 1) / arenaSize);
        _arenas = new Arena[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                _arenas[i] = Arena.Create(i, Math.Min(arenaSize, size - (i * arenaSize)), reserve);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public IReadOnlyList<Arena> Arenas => _arenas;

    public long Capacity => Sum(a => a.Allocator.Capacity);

    public long Used => Sum(a => a.Allocator.Used);

    public long FreeBytes => Capacity - Used;

    public long LargestFreeBlock
    {
        get
        {
            long largest = 0;
            foreach (var arena in _arenas)
            {
                largest = Math.Max(largest, arena.Allocator.LargestFreeBlock);
            }

            return largest;
        }
    }

    /// <summary>1 - largest free block / free bytes, over all arenas.</summary>
    public double Fragmentation => FreeBytes == 0 ? 0 : 1 - ((double)LargestFreeBlock / FreeBytes);

    public bool TryAllocate(long size, out BlobSpace space)
    {
        foreach (var arena in _arenas)
        {
            if (arena.TryAllocate(size, out var allocation))
            {
                space = new BlobSpace(arena, allocation.Offset, allocation.Size);
                return true;
            }
        }

        space = default;
        return false;
    }

    public void Free(BlobSpace space) => _arenas[space.Arena.Id].Allocator.Free(space.Offset);

    /// <summary>Gives the tail of a block back, when a writer used less than it asked for.</summary>
    public BlobSpace Shrink(BlobSpace space, long length)
    {
        var allocation = _arenas[space.Arena.Id].Allocator.Shrink(space.Offset, length);
        return space with { Capacity = allocation.Size };
    }

    public void Dispose()
    {
        foreach (var arena in _arenas)
        {
            arena?.Dispose();
        }
    }

    private long Sum(Func<Arena, long> value)
    {
        long total = 0;
        foreach (var arena in _arenas)
        {
            total += value(arena);
        }

        return total;
    }
}

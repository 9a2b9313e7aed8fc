using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Memory;

/// <summary>
/// One region of shared memory: a sealed memfd mapped read-write by the daemon, with an
/// allocator over it. Pages are committed with fallocate before a range is handed out, so a machine that runs out
/// of memory answers with NotEnoughMemory instead of killing a writer with SIGBUS. Not thread-safe: the store
/// calls it under its lock.
/// </summary>
internal sealed unsafe class Arena : IDisposable
{
    /// <summary>Pages are committed in chunks of this size: few fallocate calls, little over-commit.</summary>
    private const long CommitChunk = 2 * 1024 * 1024;

    private readonly bool[] _committed;

    private Arena(int id, SharedMemoryFile file, MemoryMapping mapping, bool reserved)
    {
        Id = id;
        File = file;
        Mapping = mapping;
        Allocator = new ArenaAllocator(file.Size);
        _committed = new bool[(file.Size + CommitChunk - 1) / CommitChunk];
        if (reserved)
        {
            Array.Fill(_committed, true);
        }
    }

    public int Id { get; }

    public SharedMemoryFile File { get; }

    public MemoryMapping Mapping { get; }

    public ArenaAllocator Allocator { get; }

    public long Size => File.Size;

    /// <summary>
    /// Creates an arena. With <paramref name="reserve"/>, every page is allocated and faulted in now (about 1.6 s
    /// per GiB here), so that first writes run at memory speed instead of page-fault speed.
    /// </summary>
    /// <exception cref="IOException">The memory could not be created or reserved.</exception>
    public static Arena Create(int id, long size, bool reserve)
    {
        var file = SharedMemoryFile.Create($"fluid-arena-{id}", size);
        try
        {
            if (reserve && !file.TryCommit(0, size))
            {
                throw new IOException(
                    $"Cannot reserve {size} bytes of shared memory: the system does not have them. Start with a smaller --size, " +
                    "or without --reserve-memory.");
            }

            return new Arena(id, file, MemoryMapping.Map(file.Descriptor, size, writable: true, populate: reserve), reserve);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Allocates and commits a range; false when the arena has no block that large, or the system no memory.</summary>
    public bool TryAllocate(long size, out ArenaAllocation allocation)
    {
        if (!Allocator.TryAllocate(size, out allocation))
        {
            return false;
        }

        if (TryCommit(allocation.Offset, allocation.Size))
        {
            return true;
        }

        Allocator.Free(allocation.Offset);
        allocation = default;
        return false;
    }

    public byte* At(long offset, long length) => Mapping.At(offset, length);

    public void Dispose()
    {
        Mapping.Dispose();
        File.Dispose();
    }

    private bool TryCommit(long offset, long length)
    {
        var first = offset / CommitChunk;
        var last = (offset + length - 1) / CommitChunk;
        for (var chunk = first; chunk <= last; chunk++)
        {
            if (_committed[chunk])
            {
                continue;
            }

            // Commit the whole run of uncommitted chunks in one call.
            var end = chunk;
            while (end < last && !_committed[end + 1])
            {
                end++;
            }

            var start = chunk * CommitChunk;
            var stop = Math.Min((end + 1) * CommitChunk, Size);
            if (!File.TryCommit(start, stop - start))
            {
                return false;
            }

            Array.Fill(_committed, true, (int)chunk, (int)(end - chunk + 1));
            chunk = end;
        }

        return true;
    }
}

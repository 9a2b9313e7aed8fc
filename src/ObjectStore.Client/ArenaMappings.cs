using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The daemon's arenas as this process sees them: each mapped once, read-only, when the client connects, so that
/// every get is pointer arithmetic. Nothing sealed is ever writable here: a blob being written in place has its
/// own pages of that mapping made writable, and read-only again before it is sealed; smaller blobs are copied in
/// from private memory at seal.
/// </summary>
internal sealed unsafe class ArenaMappings : IDisposable
{
    /// <summary>Page tables are filled in chunks of this size, and remembered per chunk.</summary>
    private const long ChunkSize = 2L << 20;

    private readonly SharedMemoryFile[] _files;
    private readonly MemoryMapping[] _mappings;
    private readonly long[][] _populatedChunks;

    public ArenaMappings(IReadOnlyList<ArenaInfo> arenas, IReadOnlyList<int> descriptors)
    {
        var count = arenas.Max(a => a.Id) + 1;
        _files = new SharedMemoryFile[count];
        _mappings = new MemoryMapping[count];
        _populatedChunks = new long[count][];
        for (var i = 0; i < arenas.Count; i++)
        {
            _files[arenas[i].Id] = SharedMemoryFile.Adopt(descriptors[i], arenas[i].Size);
            _populatedChunks[arenas[i].Id] = new long[(arenas[i].Size + (ChunkSize * 64) - 1) / (ChunkSize * 64)];
        }

        try
        {
            foreach (var arena in arenas)
            {
                _mappings[arena.Id] = MemoryMapping.Map(_files[arena.Id].Descriptor, arena.Size, writable: false);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public MemoryMapping Readable(int arena) => Checked(_mappings, arena) ?? throw Unknown(arena);

    /// <summary>Makes a blob's own pages writable, or read-only again; the blob must start on a page boundary.</summary>
    public byte* Protect(BlobLocation blob, bool writable)
    {
        var mapping = Readable(blob.Arena);
        if (blob.Offset % BlobPages.PageSize != 0)
        {
            throw new InvalidOperationException(
                $"The daemon placed blob {blob.Id} of {blob.Length} bytes at {blob.Offset} in arena {blob.Arena}, not on pages of its own; it speaks another protocol.");
        }

        mapping.Protect(blob.Offset, blob.Length, writable);
        return mapping.At(blob.Offset, blob.Length);
    }

    /// <summary>
    /// Fills this process's page tables for a blob about to be written whole: one call instead of a fault per page,
    /// for the chunks this client never touched. Chunks it did touch keep their page tables across the protection
    /// changes of later blobs, and asking again would cost more than it saves (the kernel re-walks every page).
    /// </summary>
    public void PrefaultForWriting(BlobLocation blob)
    {
        var mapping = Readable(blob.Arena);
        var populated = _populatedChunks[blob.Arena];
        var first = (blob.Offset + ChunkSize - 1) / ChunkSize;
        var end = (blob.Offset + blob.Length) / ChunkSize;
        for (var chunk = first; chunk < end; chunk++)
        {
            var bit = 1L << (int)(chunk % 64);
            if ((Interlocked.Or(ref populated[chunk / 64], bit) & bit) == 0)
            {
                mapping.Prefault(chunk * ChunkSize, ChunkSize, forWriting: true);
            }
        }
    }

    /// <summary>Copies a small blob's bytes in from private memory.</summary>
    public void Write(BlobLocation blob, ReadOnlySpan<byte> bytes) =>
        (Checked(_files, blob.Arena) ?? throw Unknown(blob.Arena)).Write(bytes, blob.Offset);

    public void Dispose()
    {
        foreach (var mapping in _mappings)
        {
            mapping?.Dispose();
        }

        foreach (var file in _files)
        {
            file?.Dispose();
        }
    }

    private static T? Checked<T>(T?[] items, int arena)
        where T : class => arena >= 0 && arena < items.Length ? items[arena] : null;

    private static InvalidOperationException Unknown(int arena) =>
        new($"The daemon named arena {arena}, which it did not announce when this client connected.");
}

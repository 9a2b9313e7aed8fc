using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The daemon's arenas as this process sees them: each mapped once, read-only, when the client connects, so that
/// every get is pointer arithmetic and a stray write through a got object faults; and mapped a second time,
/// writable, only when the client first writes a blob into it. Only <see cref="BlobWriter"/>s of unsealed blobs
/// hand out addresses in the writable mapping. Its page tables never change once filled, so a writer that reuses
/// memory pays no page faults, and a put is one copy.
/// </summary>
internal sealed class ArenaMappings : IDisposable
{
    /// <summary>Page tables of the writable mappings are filled in chunks of this size, and remembered per chunk.</summary>
    private const long ChunkSize = 2L << 20;

    private readonly Lock _gate = new();
    private readonly SharedMemoryFile[] _files;
    private readonly MemoryMapping[] _readable;
    private readonly MemoryMapping?[] _writable;
    private readonly long[][] _populatedChunks;
    private bool _disposed;

    public ArenaMappings(IReadOnlyList<ArenaInfo> arenas, IReadOnlyList<int> descriptors)
    {
        var count = arenas.Max(a => a.Id) + 1;
        _files = new SharedMemoryFile[count];
        _readable = new MemoryMapping[count];
        _writable = new MemoryMapping?[count];
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
                _readable[arena.Id] = MemoryMapping.Map(_files[arena.Id].Descriptor, arena.Size, writable: false);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public MemoryMapping Readable(int arena) => Checked(_readable, arena) ?? throw Unknown(arena);

    /// <summary>The arena's writable mapping, mapped on first use.</summary>
    public MemoryMapping Writable(int arena)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, typeof(ObjectStoreClient));
            var file = Checked(_files, arena) ?? throw Unknown(arena);
            return _writable[arena] ??= MemoryMapping.Map(file.Descriptor, file.Size, writable: true);
        }
    }

    /// <summary>
    /// Fills the writable mapping's page tables for a blob about to be written whole: one call instead of a fault
    /// per page, for the chunks this client never touched. Asking again for touched chunks would make the kernel
    /// re-walk every page, which costs as much as the copy.
    /// </summary>
    public void PrefaultForWriting(BlobLocation blob)
    {
        var mapping = Writable(blob.Arena);
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

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var mapping in _readable.Concat(_writable))
            {
                mapping?.Dispose();
            }

            foreach (var file in _files)
            {
                file?.Dispose();
            }
        }
    }

    private static T? Checked<T>(T?[] items, int arena)
        where T : class => arena >= 0 && arena < items.Length ? items[arena] : null;

    private static InvalidOperationException Unknown(int arena) =>
        new($"The daemon named arena {arena}, which it did not announce when this client connected.");
}

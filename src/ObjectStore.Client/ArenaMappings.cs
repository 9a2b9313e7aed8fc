using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The daemon's arenas as this process sees them: each mapped once, read-only, when the client connects, so that
/// every get is pointer arithmetic. Nothing sealed is ever writable here: a blob being written in place gets a
/// writable window over its own pages only, made read-only when it is sealed; smaller blobs are copied in from
/// private memory at seal.
/// </summary>
internal sealed class ArenaMappings : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SharedMemoryFile[] _files;
    private readonly MemoryMapping[] _readable;
    private readonly HashSet<MemoryMapping> _windows = [];

    public ArenaMappings(IReadOnlyList<ArenaInfo> arenas, IReadOnlyList<int> descriptors)
    {
        var count = arenas.Max(a => a.Id) + 1;
        _files = new SharedMemoryFile[count];
        _readable = new MemoryMapping[count];
        for (var i = 0; i < arenas.Count; i++)
        {
            _files[arenas[i].Id] = SharedMemoryFile.Adopt(descriptors[i], arenas[i].Size);
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

    /// <summary>A writable mapping of the whole pages at [offset, offset + length) of an arena, for one blob.</summary>
    public MemoryMapping OpenWindow(int arena, long offset, long length)
    {
        var file = Checked(_files, arena) ?? throw Unknown(arena);
        if (offset % BlobPages.PageSize != 0 || length > file.Size - offset)
        {
            throw new InvalidOperationException(
                $"The daemon placed a blob of {length} bytes at {offset} in arena {arena}, not on pages of its own; it speaks another protocol.");
        }

        var window = MemoryMapping.Map(file.Descriptor, BlobPages.RoundUp(length), writable: true, fileOffset: offset);
        lock (_gate)
        {
            _windows.Add(window);
        }

        return window;
    }

    public void CloseWindow(MemoryMapping window)
    {
        lock (_gate)
        {
            _windows.Remove(window);
        }

        window.Dispose();
    }

    /// <summary>Copies a small blob's bytes in from private memory.</summary>
    public void Write(int arena, long offset, ReadOnlySpan<byte> bytes) =>
        (Checked(_files, arena) ?? throw Unknown(arena)).Write(bytes, offset);

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var mapping in _readable.Concat(_windows))
            {
                mapping?.Dispose();
            }

            _windows.Clear();
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

using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The daemon's arenas as this process sees them: each mapped once, read-only, when the client connects, so that
/// every get is pointer arithmetic; and mapped a second time, writable, only when the client first writes into
/// it. Sealed objects are read through the read-only mapping, so a stray write faults instead of corrupting them.
/// </summary>
internal sealed class ArenaMappings : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SharedMemoryFile[] _files;
    private readonly MemoryMapping[] _readable;
    private readonly MemoryMapping?[] _writable;

    public ArenaMappings(IReadOnlyList<ArenaInfo> arenas, IReadOnlyList<int> descriptors)
    {
        var count = arenas.Max(a => a.Id) + 1;
        _files = new SharedMemoryFile[count];
        _readable = new MemoryMapping[count];
        _writable = new MemoryMapping?[count];
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

    public MemoryMapping Writable(int arena)
    {
        lock (_gate)
        {
            var file = Checked(_files, arena) ?? throw Unknown(arena);
            return _writable[arena] ??= MemoryMapping.Map(file.Descriptor, file.Size, writable: true);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
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

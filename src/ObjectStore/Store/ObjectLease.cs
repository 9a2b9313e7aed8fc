using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// An object held in memory for as long as the daemon itself reads it (sending it to a peer or a remote client):
/// it cannot be freed or spilled until the lease is disposed.
/// </summary>
internal sealed class ObjectLease(ObjectMeta meta, IReadOnlyList<MemoryRange> blobs, Action release) : IDisposable
{
    private Action? _release = release;

    public ObjectMeta Meta { get; } = meta;

    /// <summary>The blobs' bytes, in the order of <see cref="ObjectMeta.Blobs"/>.</summary>
    public IReadOnlyList<MemoryRange> Blobs { get; } = blobs;

    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke();
}

using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>Copies an object's blobs from the instance that holds them into memory of this one.</summary>
internal interface IPeerTransfer
{
    /// <summary>Fills <paramref name="destinations"/> (one per blob leaf of <paramref name="meta"/>, in order) from <paramref name="owner"/>.</summary>
    /// <returns>The channel the bytes came through: "bulk" or "grpc".</returns>
    Task<string> ReceiveAsync(ObjectMeta meta, int owner, IReadOnlyList<MemoryRange> destinations, CancellationToken cancellationToken);
}

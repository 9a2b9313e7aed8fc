namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>A live instance of the object store, as it registers itself.</summary>
public sealed record InstanceRecord(
    int Instance,
    string Node,
    IReadOnlyDictionary<string, string> Labels,
    string IpcSocket,
    string RpcEndpoint,
    string BulkEndpoint,
    long Capacity,
    string Host,
    int ProcessId,
    DateTimeOffset StartedAt,
    long LeaseId);

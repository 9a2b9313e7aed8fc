using System.Text.Json;

namespace Fluid.Aspire.ObjectStore.Cluster;

/// <summary>How the object store writes its etcd values and RPC metadata: JSON with web (camelCase) names.</summary>
public static class ObjectStoreJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

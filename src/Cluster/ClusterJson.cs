using System.Text.Json;

namespace Fluid.Aspire.Cluster;

/// <summary>How values stored in etcd are written: JSON with web (camelCase) names, readable with etcdctl.</summary>
public static class ClusterJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web);
}

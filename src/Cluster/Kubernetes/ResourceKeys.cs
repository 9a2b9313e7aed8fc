using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Cluster.Kubernetes;

/// <summary>The keys of work queues and caches: <c>namespace/name</c>, as in Kubernetes controllers.</summary>
public static class ResourceKeys
{
    public static string Of(Resource resource) => Of(resource.Metadata.NamespaceProperty, resource.Metadata.Name);

    public static string Of(string namespaceName, string name) => $"{namespaceName}/{name}";

    public static (string Namespace, string Name) Split(string key)
    {
        var separator = key.IndexOf('/', StringComparison.Ordinal);
        return separator < 0 ? (Resource.DefaultNamespace, key) : (key[..separator], key[(separator + 1)..]);
    }
}

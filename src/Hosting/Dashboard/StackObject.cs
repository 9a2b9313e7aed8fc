using Aspire.Hosting.ApplicationModel;


namespace Fluid.Aspire.Hosting.Dashboard;

/// <summary>
/// A dataset, runtime or step of the running stack as the dashboard lists it: not a process Aspire starts, but an
/// object of the stack's Kubernetes API, shown beside the processes with its phase, node and logs.
/// </summary>
internal sealed class StackObject(string name, string kind, string namespaceName, string objectName) : global::Aspire.Hosting.ApplicationModel.Resource(name)
{
    /// <summary>The object's kind in the API (Dataset, ObjectStoreRuntime, CacheRuntime, DataProcess).</summary>
    public string Kind { get; } = kind;

    public string Namespace { get; } = namespaceName;

    /// <summary>The object's name in the API (the dashboard's name carries a prefix where kinds share names).</summary>
    public string ObjectName { get; } = objectName;

    /// <summary>
    /// The dashboard's name of an object: a step by its own name (unique per run), a dataset and its runtime, which
    /// share theirs, by kind; the namespace only where it is not <c>default</c>.
    /// </summary>
    public static string NameOf(string kind, string namespaceName, string objectName)
    {
        var prefix = kind switch
        {
            nameof(Contracts.Datasets.Dataset) => "dataset-",
            nameof(Contracts.Runtimes.ObjectStoreRuntime) or nameof(Contracts.Runtimes.CacheRuntime) => "runtime-",
            _ => "",
        };
        return namespaceName == Contracts.Resource.DefaultNamespace ? prefix + objectName : $"{prefix}{namespaceName}-{objectName}";
    }

    public static StackObject Of(Contracts.Resource resource) =>
        new(NameOf(resource.Kind, resource.Metadata.NamespaceProperty, resource.Metadata.Name), resource.Kind, resource.Metadata.NamespaceProperty, resource.Metadata.Name);
}

using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Hosting.Etcd;

namespace Fluid.Aspire.Hosting;

/// <summary>
/// A whole Fluid stack: etcd, the local Kubernetes API (<c>fluid-apiserver</c>), the controller and, per simulated node, an object store and a cache agent. It is
/// running when all of them are healthy. Its connection string tells an application where the stack is.
/// </summary>
public sealed class FluidResource : Resource, IResourceWithConnectionString
{
    /// <summary>The etcd key prefix under which the stack keeps its state.</summary>
    public const string KeyPrefix = "/fluid";

    private string? _kubeconfig;

    internal FluidResource(string name, EtcdResource etcd, string stateDirectory) : base(name)
    {
        Etcd = etcd;
        StateDirectory = stateDirectory;
        SocketDirectory = Path.Combine(ObjectStore.Ipc.SocketPaths.DefaultDirectory(), name);
    }

    public EtcdResource Etcd { get; }

    public ProjectResource Controller { get; internal set; } = null!;

    /// <summary>The local Kubernetes API of the stack, which kubectl and KubernetesClient reach through <see cref="Kubeconfig"/>.</summary>
    public ProjectResource ApiServer { get; internal set; } = null!;

    /// <summary>Where the API server writes a kubeconfig for itself (mode 0600) while it runs; <c>{StateDirectory}/kubeconfig</c> unless moved.</summary>
    public string Kubeconfig
    {
        get => _kubeconfig ?? Path.Combine(StateDirectory, "kubeconfig");
        internal set => _kubeconfig = value;
    }

    /// <summary>
    /// The file (mode 0600) holding the token that callers of the object stores' RPC and bulk listeners present:
    /// <c>{StateDirectory}/objectstore-token</c>, new for every run. A client on this machine reads it from there.
    /// </summary>
    public string ObjectStoreTokenFile => Path.Combine(StateDirectory, "objectstore-token");

    /// <summary>
    /// What the stack keeps on this machine (<c>.fluid/{name}</c> under the AppHost by default): the API server's
    /// certificates, its kubeconfig, the object stores' token, and the logs and records of the nodes' pods.
    /// </summary>
    public string StateDirectory { get; internal set; }

    /// <summary>
    /// Whether the API server publishes its kubeconfig where the CLI and the SDK look for a running local stack
    /// (<c>~/.fluid/stack/kubeconfig</c>) while it runs: the stack on the default state directory does, one beside it
    /// (<see cref="FluidBuilderExtensions.WithStateDirectory"/>) does not.
    /// </summary>
    public bool PublishesLocalStack { get; internal set; } = true;

    /// <summary>The simulated nodes, in order.</summary>
    public IReadOnlyList<FluidNode> Nodes => NodeList;

    /// <summary>How long a daemon's registration outlives it when it dies without deregistering.</summary>
    public TimeSpan LeaseTtl { get; internal set; } = TimeSpan.FromSeconds(10);

    /// <summary>Where the object stores' Unix sockets are: <c>{directory}/{node}.sock</c>.</summary>
    public string SocketDirectory { get; internal set; }

    /// <summary>The shared memory of each node's object store, e.g. <c>1Gi</c>.</summary>
    public string ObjectStoreMemory { get; internal set; } = "1Gi";

    /// <summary>Whether the object stores fault in all their memory at start.</summary>
    public bool ReserveObjectStoreMemory { get; internal set; }

    internal List<FluidNode> NodeList { get; } = [];

    /// <summary>Every resource the stack runs.</summary>
    public IEnumerable<IResource> Components =>
        new IResource[] { Etcd, ApiServer, Controller }.Concat(NodeList.SelectMany(n => new IResource[] { n.ObjectStore, n.CacheAgent }));

    /// <summary>For applications: <c>Endpoints=…;Prefix=/fluid;Kubeconfig=…;Controller=…</c>.</summary>
    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create(
            $"{ClusterConnectionExpression};Controller={Controller.GetEndpoint("http").Property(EndpointProperty.Url)}");

    /// <summary>For the stack's own services, which must not depend on the controller: <c>Endpoints=…;Prefix=/fluid;Kubeconfig=…</c>.</summary>
    internal ReferenceExpression ClusterConnectionExpression =>
        ReferenceExpression.Create($"Endpoints={Etcd.ConnectionStringExpression};Prefix={KeyPrefix};Kubeconfig={Kubeconfig}");
}

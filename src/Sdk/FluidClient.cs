using Fluid.Aspire.Cluster;
using k8s.Models;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Cluster;

namespace Fluid.Sdk;

/// <summary>
/// The entry point of the SDK, as <c>FluidClient</c> in Fluid's Python SDK: create or get datasets, then bind them a
/// runtime and run flows of steps on them. Talks to the Kubernetes API found as <see cref="ClientConfig"/> says (the
/// local stack's or a cluster's), so that the same program runs unchanged on a laptop and on a cluster.
/// </summary>
public sealed class FluidClient : IAsyncDisposable, IDisposable
{
    private readonly k8s.Kubernetes _kubernetes;
    private readonly Lazy<EtcdConnection?> _registry;

    /// <exception cref="InvalidOperationException">No kubeconfig is found, or the connection string is invalid; the message says what to do.</exception>
    public FluidClient(ClientConfig? config = null)
    {
        Config = config ?? new ClientConfig();
        Connection = Config.Resolve();
        var kubeconfig = Aspire.Contracts.Kubernetes.Kubeconfig.Load(Config.KubeConfigFile ?? Connection?.Kubeconfig, Config.Context);
        _kubernetes = new k8s.Kubernetes(kubeconfig);
        Context = kubeconfig.CurrentContext;
        ControlPlaneNamespace = ClusterBuilderExtensions.ControlPlaneNamespace(kubeconfig);
        var store = new KubernetesResourceStore(_kubernetes);
        Store = store;
        Server = store.Server;
        // Found when a store is first asked for: most clients never need it. Without a connection string, the local
        // stack's kubeconfig says where its object stores' registry is.
        _registry = new Lazy<EtcdConnection?>(() =>
            (Connection ?? (Aspire.Contracts.Kubernetes.Kubeconfig.RegistryOf(Config.KubeConfigFile, Config.Context) is { } named
                ? ClusterConnectionString.Parse(named)
                : null)) is { } registry
                ? new EtcdConnection(registry)
                : null);
        Controller = Connection?.Controller;
    }

    public ClientConfig Config { get; }

    /// <summary>The kubeconfig context in use; null in a cluster's pod (its service account).</summary>
    public string? Context { get; }

    /// <summary>The local stack's connection string, when one is configured; null on a cluster.</summary>
    public ClusterConnectionString? Connection { get; }

    /// <summary>KubernetesClient's client of the same API, for the built-in kinds (Nodes, Leases…) the SDK does not wrap.</summary>
    public k8s.Kubernetes Kubernetes => _kubernetes;

    /// <summary>Where the control plane keeps its Leases (the leader's and the node daemons'): the kubeconfig context's namespace, else <c>default</c>.</summary>
    public string ControlPlaneNamespace { get; }

    /// <summary>The Kubernetes API server the client talks to, for messages.</summary>
    public Uri Server { get; }

    /// <summary>The resource store (the Kubernetes API), for what the SDK does not wrap.</summary>
    public IResourceStore Store { get; }

    /// <summary>The controller's HTTP API (step logs), when the connection string names it.</summary>
    public Uri? Controller { get; }

    /// <summary>
    /// Runs a failed step again, with the steps of its run after it that failed because it did: each is replaced by a
    /// new step of the same name and spec, which the controller runs as it ran the first. Returns the run, to wait for.
    /// </summary>
    /// <exception cref="InvalidOperationException">There is no such step, or it has not failed.</exception>
    public Task<FlowRun> RerunAsync(string stepName, string? namespaceName = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stepName);
        return StepRerun.RunAsync(this, stepName, namespaceName ?? Config.Namespace, cancellationToken);
    }

    /// <summary>
    /// Creates a dataset whose data is at <paramref name="mountPoint"/> (e.g. <c>local:///data/housing</c>); without one,
    /// the dataset's data is what its steps put into the object store (<c>objectstore://{name}</c>).
    /// </summary>
    /// <exception cref="Aspire.Contracts.Validation.ResourceInvalidException">The name or mount point breaks a rule; the message says which.</exception>
    /// <exception cref="ResourceAlreadyExistsException">A dataset of that name exists; get it with <see cref="GetDatasetAsync"/>.</exception>
    public async Task<FluidDataset> CreateDatasetAsync(string name, string? mountPoint = null, DatasetOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new DatasetOptions();
        var dataset = new Dataset
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Config.Namespace, Labels = new Dictionary<string, string>(options.Labels) },
            Spec = new DatasetSpec
            {
                Mounts = [new Mount { MountPoint = mountPoint ?? $"objectstore://{name}", Name = options.MountName ?? name, ReadOnly = options.ReadOnly, Options = new(options.Options) }],
                NodeAffinity = options.NodeAffinity,
                Placement = options.Placement,
            },
        };
        return new FluidDataset(this, await Store.CreateAsync(dataset, cancellationToken));
    }

    /// <summary>An existing dataset.</summary>
    /// <exception cref="ResourceNotFoundException">No dataset has that name in the client's namespace.</exception>
    public async Task<FluidDataset> GetDatasetAsync(string name, CancellationToken cancellationToken = default) =>
        new(this, await Store.GetAsync<Dataset>(name, Config.Namespace, cancellationToken)
            ?? throw new ResourceNotFoundException($"No dataset '{name}' in namespace {Config.Namespace}; create it with CreateDatasetAsync."));

    /// <summary>
    /// Connects to the object store of this node: the one at <see cref="ClientConfig.ObjectStoreSocket"/>, else one of
    /// this machine (the first node's, by name), found through the stack's registry. What a program that is not a
    /// step uses to read what its steps put.
    /// </summary>
    /// <exception cref="InvalidOperationException">No object store instance runs on this machine.</exception>
    public async Task<ObjectStoreClient> ConnectObjectStoreAsync(CancellationToken cancellationToken = default)
    {
        if (Config.ObjectStoreSocket is { } socket)
        {
            return await ObjectStoreClient.ConnectAsync(socket, cancellationToken);
        }

        var registry = _registry.Value ?? throw new InvalidOperationException(
            $"No object store socket is configured and no local stack names its registry: set {Fluid.Aspire.ObjectStore.Client.ObjectStoreClientOptions.SocketVariable} " +
            $"(steps and pods get it), or start the local stack (./run.sh --dashboard), whose kubeconfig names it, or give its connection string ({ClientConfig.ConnectionVariable}).");
        var keys = new ObjectStoreKeys(registry.Prefix);
        var range = await registry.KeyValue.RangeAsync(new Etcdserverpb.RangeRequest
        {
            Key = EtcdKeys.ToBytes(keys.Instances),
            RangeEnd = EtcdKeys.PrefixRangeEnd(keys.Instances),
        }, cancellationToken: cancellationToken);
        var local = range.Kvs
            .Select(kv => System.Text.Json.JsonSerializer.Deserialize<InstanceRecord>(kv.Value.Span, ObjectStoreJson.Options)!)
            .Where(i => i.Host == Environment.MachineName && File.Exists(i.IpcSocket))
            .OrderBy(i => i.Node, StringComparer.Ordinal)
            .FirstOrDefault()
            ?? throw new InvalidOperationException(
                $"No object store of the stack runs on this machine ({Environment.MachineName}); run the program on a node of the stack.");
        return await ObjectStoreClient.ConnectAsync(local.IpcSocket, cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    public void Dispose()
    {
        _kubernetes.Dispose();
        if (_registry.IsValueCreated)
        {
            _registry.Value?.Dispose();
        }
    }
}

/// <summary>How a dataset is created, beyond its name and mount point.</summary>
public sealed class DatasetOptions
{
    public string? MountName { get; set; }

    public bool ReadOnly { get; set; }

    /// <summary>Options of the mount, as Fluid's <c>options</c>.</summary>
    public Dictionary<string, string> Options { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Labels { get; } = new(StringComparer.Ordinal);

    public NodeAffinity? NodeAffinity { get; set; }

    public Placement? Placement { get; set; }
}

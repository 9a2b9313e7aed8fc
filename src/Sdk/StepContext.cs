using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.ObjectStore.Client;

namespace Fluid.Sdk;

/// <summary>
/// What a step gets from the controller that launched it: who and where it is, its dataset and the others it reads
/// (<see cref="OpenDatasetAsync"/>), and its node's object store. Objects put through <see cref="Named"/> carry the
/// step's labels, so that cleaning up the dataset deletes them.
/// </summary>
public sealed class StepContext : IAsyncDisposable
{
    private readonly Lazy<Task<ObjectStoreClient>> _objectStore;
    private readonly Lazy<HttpClient>? _cacheAgent;

    /// <summary>A context for running a step method in this process, e.g. from a notebook or a test, against the given object store.</summary>
    /// <param name="stepName">The step's name, as the controller would give it.</param>
    /// <param name="objectStoreSocket">The socket of the object store to use.</param>
    /// <param name="datasetName">The step's dataset.</param>
    /// <param name="datasetPath">Where the dataset's files are on this machine.</param>
    /// <param name="arguments">The step's arguments.</param>
    /// <param name="cacheAgentSocket">The socket of the node's cache agent, for datasets a CacheRuntime caches.</param>
    /// <param name="cancellationToken">Cancelled to ask the step to stop.</param>
    public StepContext(string stepName, string? objectStoreSocket, string? datasetName = null, string? datasetPath = null,
        IReadOnlyList<string>? arguments = null, string? cacheAgentSocket = null, CancellationToken cancellationToken = default)
        : this(new Dictionary<string, string?>
        {
            ["FLUID_STEP"] = stepName,
            ["FLUID_DATASET"] = datasetName,
            ["FLUID_DATASET_PATH"] = datasetPath,
            [ObjectStoreClientOptions.SocketVariable] = objectStoreSocket,
            [CacheAgentSocketVariable] = cacheAgentSocket,
        }, arguments ?? [], cancellationToken)
    {
    }

    internal StepContext(IReadOnlyDictionary<string, string?> environment, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        Arguments = arguments;
        string? Get(string name) => environment.TryGetValue(name, out var value) ? value : null;
        StepName = Get("FLUID_STEP") ?? "local";
        Namespace = Get("FLUID_NAMESPACE") ?? "default";
        RunId = Get("FLUID_RUN_ID") ?? "local";
        Node = Get("FLUID_NODE") ?? Environment.MachineName;
        DatasetName = Get("FLUID_DATASET");
        DatasetPath = Get("FLUID_DATASET_PATH");
        ObjectStoreSocket = Get(ObjectStoreClientOptions.SocketVariable);
        CacheAgentSocket = Get(CacheAgentSocketVariable);
        CancellationToken = cancellationToken;
        _cacheAgent = CacheAgentSocket is { Length: > 0 } socket ? new(() => Aspire.CacheAgent.Client.CacheAgentSocket.CreateHttpClient(socket)) : null;
        _objectStore = new(() => ObjectStoreClient.ConnectAsync(
            new ObjectStoreClientOptions { SocketPath = ObjectStoreSocket, ClientName = $"step {StepName}" }, cancellationToken));
    }

    /// <summary>The variable that gives a step its node's cache agent socket.</summary>
    public const string CacheAgentSocketVariable = "FLUID_CACHE_SOCKET";

    /// <summary>The arguments the step was created with (<c>Processor.FromMethod(…, arguments)</c>).</summary>
    public IReadOnlyList<string> Arguments { get; }

    public string StepName { get; }

    public string Namespace { get; }

    public string RunId { get; }

    /// <summary>The node the step was scheduled on, next to its data.</summary>
    public string Node { get; }

    public string? DatasetName { get; }

    /// <summary>Where the dataset's files are on this node (its local:// mount and the step's subPath).</summary>
    public string? DatasetPath { get; }

    public string? ObjectStoreSocket { get; }

    /// <summary>The Unix socket of the node's cache agent, where datasets cached on this node are read.</summary>
    public string? CacheAgentSocket { get; }

    /// <summary>Cancelled when the step is asked to stop (timeout, cancellation, deletion).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The node's object store, connected on first use.</summary>
    public Task<ObjectStoreClient> ObjectStoreAsync() => _objectStore.Value;

    /// <summary>
    /// The files of dataset <paramref name="name"/> (of the step's namespace; the step's own dataset by default): read
    /// through the node's cache agent when a CacheRuntime of the same name caches it on this node, else, for the step's
    /// own dataset, from where the node has its <c>local://</c> mount.
    /// </summary>
    /// <exception cref="InvalidOperationException">The dataset cannot be read on this node; the message says why and what to do.</exception>
    public async Task<DatasetFileSystem> OpenDatasetAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        name ??= DatasetName ?? throw new InvalidOperationException(
            $"Step {StepName} has no dataset of its own; name the dataset to read, e.g. OpenDatasetAsync(\"housing\").");
        if (_cacheAgent is not null)
        {
            var agent = new CacheAgentClient(_cacheAgent.Value, Aspire.CacheAgent.Client.CacheAgentSocket.Address, token: null);
            if (await agent.GetStatusAsync(Namespace, name, cancellationToken) is not null)
            {
                return new DatasetFileSystem(name, new CachedDatasetFiles(agent, Node, Namespace, name));
            }
        }

        if (name == DatasetName && DatasetPath is { } directory && Directory.Exists(directory))
        {
            return new DatasetFileSystem(name, new LocalDatasetFiles(directory));
        }

        throw new InvalidOperationException(
            $"Dataset {Namespace}/{name} cannot be read on node {Node}: " +
            (_cacheAgent is null ? $"the step has no cache agent socket ({CacheAgentSocketVariable}), " : "the node's cache agent does not cache it, ") +
            (name == DatasetName ? "and the node has no directory of it. " : "and it is not the step's own dataset. ") +
            $"Bind a CacheRuntime named {name} to it, with workers on the nodes its steps run on (replicas), or give it a local:// mount.");
    }

    /// <summary>
    /// Options to put an object under <paramref name="name"/>, persisted (so that a step on another node can fetch
    /// it) and labelled with the dataset, run and step, so that the dataset's clean-up deletes it.
    /// </summary>
    public PutOptions Named(string name, bool persist = true) => new()
    {
        Name = name,
        Persist = persist,
        Labels = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FlowLabels.Dataset] = FlowLabels.DatasetValue(Namespace, DatasetName ?? ""),
            [FlowLabels.Run] = RunId,
            [FlowLabels.Step] = StepName,
        },
    };

    /// <summary>Options to get an object wherever it is: copied to this node first when another holds it.</summary>
    public GetOptions Fetched { get; } = new() { Fetch = true };

    public async ValueTask DisposeAsync()
    {
        if (_cacheAgent is { IsValueCreated: true })
        {
            _cacheAgent.Value.Dispose();
        }

        if (_objectStore.IsValueCreated && _objectStore.Value.IsCompletedSuccessfully)
        {
            await (await _objectStore.Value).DisposeAsync();
        }
    }
}

using Fluid.Aspire.Contracts;
using Fluid.Aspire.ObjectStore.Client;

namespace Fluid.Sdk;

/// <summary>
/// What a step gets from the controller that launched it: who and where it is, its dataset, and its node's object
/// store. Objects put through <see cref="Named"/> carry the step's labels, so that cleaning up the dataset deletes them.
/// </summary>
public sealed class StepContext : IAsyncDisposable
{
    private readonly Lazy<Task<ObjectStoreClient>> _objectStore;

    /// <summary>A context for running a step method in this process, e.g. from a notebook or a test, against the given object store.</summary>
    public StepContext(string stepName, string? objectStoreSocket, string? datasetName = null, string? datasetPath = null,
        IReadOnlyList<string>? arguments = null, CancellationToken cancellationToken = default)
        : this(new Dictionary<string, string?>
        {
            ["FLUID_STEP"] = stepName,
            ["FLUID_DATASET"] = datasetName,
            ["FLUID_DATASET_PATH"] = datasetPath,
            [ObjectStoreClientOptions.SocketVariable] = objectStoreSocket,
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
        CancellationToken = cancellationToken;
        _objectStore = new(() => ObjectStoreClient.ConnectAsync(
            new ObjectStoreClientOptions { SocketPath = ObjectStoreSocket, ClientName = $"step {StepName}" }, cancellationToken));
    }

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

    /// <summary>Cancelled when the step is asked to stop (timeout, cancellation, deletion).</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The node's object store, connected on first use.</summary>
    public Task<ObjectStoreClient> ObjectStoreAsync() => _objectStore.Value;

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
        if (_objectStore.IsValueCreated && _objectStore.Value.IsCompletedSuccessfully)
        {
            await (await _objectStore.Value).DisposeAsync();
        }
    }
}

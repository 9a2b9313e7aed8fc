using System.Collections.Frozen;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using k8s.Models;

namespace Fluid.Aspire.Contracts;

/// <summary>One kind of the API: its identity, its plural (as in URLs and <c>kubectl get datasets</c>) and its class.</summary>
public sealed class ResourceKind
{
    private readonly Func<Resource> _create;

    internal ResourceKind(string kind, string plural, Type type, Func<Resource> create, bool isOperation)
    {
        Kind = kind;
        Plural = plural;
        Type = type;
        _create = create;
        IsOperation = isOperation;
    }

    /// <summary><c>group/version</c>: <see cref="ResourceKinds.ApiVersion"/>.</summary>
    public string ApiVersion { get; } = ResourceKinds.ApiVersion;

    /// <summary>The API group: <see cref="ResourceKinds.Group"/>.</summary>
    public string Group { get; } = ResourceKinds.Group;

    /// <summary>The kind, e.g. <c>Dataset</c>.</summary>
    public string Kind { get; }

    /// <summary>The lower-case plural, e.g. <c>datasets</c>: the resource name in URLs, store keys and CRD names.</summary>
    public string Plural { get; }

    /// <summary>The lower-case singular, e.g. <c>dataset</c>.</summary>
    public string Singular => Kind.ToLowerInvariant();

    /// <summary>The .NET class.</summary>
    public Type Type { get; }

    /// <summary>True for data operations (a step of a flow), which <c>runAfter</c> may name.</summary>
    public bool IsOperation { get; }

    /// <summary>Short names <c>kubectl</c> and <c>fluid</c> accept besides the singular and plural, e.g. <c>ds</c>.</summary>
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    /// <summary>The groups the kind belongs to, so that <c>kubectl get fluid</c> lists them all.</summary>
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>
    /// The columns of a listing after NAME, in order, as a CRD declares them (<c>additionalPrinterColumns</c>):
    /// kubectl and <c>fluid get</c> both show them, columns of priority above 0 only with <c>-o wide</c>. A column
    /// without a description takes its field's in the CRD. Shared instances: copy one before changing it.
    /// </summary>
    public IReadOnlyList<V1CustomResourceColumnDefinition> PrinterColumns { get; init; } = [];

    /// <summary>A new, empty object of this kind, with apiVersion and kind set.</summary>
    public Resource CreateEmpty() => _create();

    /// <inheritdoc />
    public override string ToString() => $"{Kind}.{Group} ({Plural})";
}

/// <summary>
/// The registry of this project's kinds (each a CRD on a cluster): lookup by kind, plural or class, and empty
/// instances. Kubernetes' own kinds the control plane writes (Event) are KubernetesClient's models, not kinds here.
/// </summary>
public static class ResourceKinds
{
    /// <summary>The API group of this project's kinds.</summary>
    public const string Group = "data.fluid-aspire.io";

    /// <summary>The version of this project's kinds. Alpha: fields may still change without conversion.</summary>
    public const string Version = "v1alpha1";

    /// <summary>The apiVersion of this project's kinds.</summary>
    public const string ApiVersion = Group + "/" + Version;

    /// <summary>The category of every kind of this project: <c>kubectl get fluid</c>.</summary>
    public const string Category = "fluid";

    /// <summary>Where data comes from and how it is cached. Its columns are Fluid's.</summary>
    public static ResourceKind Dataset { get; } = new(nameof(Dataset), "datasets", typeof(Dataset), () => new Dataset(), isOperation: false)
    {
        ShortNames = ["ds"],
        Categories = [Category],
        PrinterColumns =
        [
            Column.Text("Ufs Total Size", ".status.ufsTotal"),
            Column.Text("Cached", ".status.cacheStates.cached"),
            Column.Text("Cache Capacity", ".status.cacheStates.cacheCapacity"),
            Column.Text("Cached Percentage", ".status.cacheStates.cachedPercentage"),
            Column.Text("Phase", ".status.phase"),
            Column.Integer("Total Files", ".status.fileNum", priority: 1),
            Column.Text("Cache Hit Ratio", ".status.cacheStates.cacheHitRatio", priority: 1),
            Column.Age,
        ],
    };

    /// <summary>The object-store cache bound to the dataset of the same name: its workers desired, placed and ready.</summary>
    public static ResourceKind ObjectStoreRuntime { get; } = new(nameof(ObjectStoreRuntime), "objectstoreruntimes", typeof(ObjectStoreRuntime), () => new ObjectStoreRuntime(), isOperation: false)
    {
        ShortNames = ["osr"],
        Categories = [Category],
        PrinterColumns =
        [
            Column.Integer("Desired", ".status.desiredWorkers"),
            Column.Integer("Current", ".status.currentWorkers"),
            Column.Integer("Ready", ".status.readyWorkers"),
            Column.Text("Phase", ".status.phase"),
            Column.Text("Worker Phase", ".status.workerPhase", priority: 1),
            Column.Age,
        ],
    };

    /// <summary>The block cache bound to the dataset of the same name: its workers, what they hold, and the dataset's size.</summary>
    public static ResourceKind CacheRuntime { get; } = new(nameof(CacheRuntime), "cacheruntimes", typeof(CacheRuntime), () => new CacheRuntime(), isOperation: false)
    {
        ShortNames = ["cr"],
        Categories = [Category],
        PrinterColumns =
        [
            Column.Integer("Desired", ".status.desiredWorkers"),
            Column.Integer("Current", ".status.currentWorkers"),
            Column.Integer("Ready", ".status.readyWorkers"),
            Column.Text("Phase", ".status.phase"),
            Column.Text("Worker Phase", ".status.workerPhase", priority: 1),
            Column.Age,
        ],
    };

    /// <summary>A processing step run near its data.</summary>
    public static ResourceKind DataProcess { get; } = new(nameof(DataProcess), "dataprocesses", typeof(DataProcess), () => new DataProcess(), isOperation: true)
    {
        ShortNames = ["dp"],
        Categories = [Category],
        PrinterColumns =
        [
            Column.Text("Dataset", ".spec.dataset.name"),
            Column.Text("Phase", ".status.phase"),
            Column.Text("Node", ".status.nodeName"),
            Column.Text("Duration", ".status.duration"),
            Column.Integer("Exit Code", ".status.exitCode"),
            Column.Text("Run", ".metadata.labels." + FlowLabels.Run.Replace(".", "\\.", StringComparison.Ordinal)) with
            {
                Description = $"The run of a flow the step belongs to (its {FlowLabels.Run} label).",
            },
            Column.Text("Run After", ".spec.runAfter.name", priority: 1),
            Column.Text("Policy", ".spec.policy", priority: 1),
            Column.Age,
        ],
    };

    /// <summary>Every kind, in a stable order.</summary>
    public static IReadOnlyList<ResourceKind> All { get; } = [Dataset, ObjectStoreRuntime, CacheRuntime, DataProcess];

    /// <summary>The kinds that are data operations.</summary>
    public static IReadOnlyList<ResourceKind> Operations { get; } = [.. All.Where(k => k.IsOperation)];

    private static readonly FrozenDictionary<string, ResourceKind> ByKind = All.ToFrozenDictionary(k => k.Kind, StringComparer.Ordinal);
    private static readonly FrozenDictionary<string, ResourceKind> ByPlural = All.ToFrozenDictionary(k => k.Plural, StringComparer.Ordinal);
    private static readonly FrozenDictionary<Type, ResourceKind> ByType = All.ToFrozenDictionary(k => k.Type);

    /// <summary>The kind called <paramref name="kind"/> (case-sensitive, as in manifests), or null.</summary>
    public static ResourceKind? FindByKind(string kind) => ByKind.GetValueOrDefault(kind);

    /// <summary>The kind whose plural is <paramref name="plural"/>, e.g. <c>datasets</c>, or null.</summary>
    public static ResourceKind? FindByPlural(string plural) => ByPlural.GetValueOrDefault(plural);

    /// <summary>The kind called <paramref name="kind"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such kind; the message lists the known ones.</exception>
    public static ResourceKind GetByKind(string kind) =>
        FindByKind(kind) ?? throw new KeyNotFoundException($"The kind '{kind}' is not known; use one of {string.Join(", ", All.Select(k => k.Kind))}.");

    /// <summary>The kind whose plural is <paramref name="plural"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such plural; the message lists the known ones.</exception>
    public static ResourceKind GetByPlural(string plural) =>
        FindByPlural(plural) ?? throw new KeyNotFoundException($"'{plural}' is not a known resource; use one of {string.Join(", ", All.Select(k => k.Plural))}.");

    /// <summary>The kind of the class <paramref name="type"/>.</summary>
    /// <exception cref="KeyNotFoundException">The class is not a registered kind.</exception>
    public static ResourceKind Of(Type type) =>
        ByType.GetValueOrDefault(type) ?? throw new KeyNotFoundException($"{type} is not a registered kind; register it in {nameof(ResourceKinds)}.");

    /// <summary>The kind of the class <typeparamref name="T"/>.</summary>
    public static ResourceKind Of<T>()
        where T : Resource => Of(typeof(T));

    /// <summary>Printer columns of the types kubectl knows: <c>string</c>, <c>integer</c>, <c>date</c>.</summary>
    private static class Column
    {
        /// <summary>kubectl's AGE, since the object was created; kubectl adds it only to kinds that declare no columns.</summary>
        public static V1CustomResourceColumnDefinition Age => new()
        {
            Name = "Age",
            Type = "date",
            JsonPath = ".metadata.creationTimestamp",
            Description = "How long ago the object was created.",
        };

        public static V1CustomResourceColumnDefinition Text(string name, string jsonPath, int priority = 0) =>
            new() { Name = name, Type = "string", JsonPath = jsonPath, Priority = priority == 0 ? null : priority };

        public static V1CustomResourceColumnDefinition Integer(string name, string jsonPath, int priority = 0) =>
            new() { Name = name, Type = "integer", JsonPath = jsonPath, Priority = priority == 0 ? null : priority };
    }

    /// <summary>A new, empty object of the kind called <paramref name="kind"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such kind.</exception>
    public static Resource Create(string kind) => GetByKind(kind).CreateEmpty();
}

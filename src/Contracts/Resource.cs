using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// An object of the API, in Kubernetes' shape: <c>apiVersion</c>, <c>kind</c> and <c>metadata</c>. The same classes are
/// what the controller stores, what the SDK sends and what the Kubernetes publisher turns into custom resources.
/// </summary>
/// <remarks>
/// Objects are mutable because controllers build and patch them; a controller must never mutate an object it got from
/// a cache, but a <see cref="Clone"/> of it.
/// </remarks>
public abstract class Resource : IKubernetesObject<V1ObjectMeta>, IJsonOnDeserialized
{
    /// <summary>The namespace of an object built in code without one, as in Kubernetes.</summary>
    public const string DefaultNamespace = "default";

    private V1ObjectMeta _metadata = WithCollections(new V1ObjectMeta { NamespaceProperty = DefaultNamespace });

    /// <summary>Sets the identity of a kind; derived classes pass their registered API version and kind.</summary>
    protected Resource(string apiVersion, string kind)
    {
        ApiVersion = apiVersion;
        Kind = kind;
    }

    /// <summary>The API group and version, <c>data.fluid-aspire.io/v1alpha1</c> for the kinds of this project.</summary>
    [JsonPropertyOrder(-3)]
    public string ApiVersion { get; set; }

    /// <summary>The kind, e.g. <c>Dataset</c>; it must match the class, which <see cref="Validation.ResourceValidator"/> checks.</summary>
    [JsonPropertyOrder(-2)]
    public string Kind { get; set; }

    /// <summary>
    /// Kubernetes' own object metadata: users set name, namespace (<c>default</c> unless set), labels, annotations and
    /// finalizers; the API server sets uid, resourceVersion, generation and the timestamps. Its lists and maps are
    /// never null here, whether the object was built in code or read.
    /// </summary>
    [JsonPropertyOrder(-1)]
    public V1ObjectMeta Metadata
    {
        get => _metadata;
        set => _metadata = WithCollections(value);
    }

    /// <summary>A deep copy, independent of this object: change it freely, then write it back.</summary>
    /// <remarks>
    /// The copy is made through <see cref="ResourceJson.Options"/>, so it holds exactly what would be stored or sent,
    /// and a field added later is copied without anyone remembering to.
    /// </remarks>
    public virtual Resource Clone() => ResourceJson.Clone(this);

    /// <summary>An object read without a namespace is in <c>default</c>, as one built in code is.</summary>
    void IJsonOnDeserialized.OnDeserialized() => Metadata.NamespaceProperty ??= DefaultNamespace;

    /// <summary>
    /// Gives <paramref name="meta"/> empty labels, annotations, finalizers and owner references where it has none (Go's
    /// zero values), so that code adds a label or a finalizer to any resource's metadata without a null check.
    /// </summary>
    private static V1ObjectMeta WithCollections(V1ObjectMeta meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        meta.Labels ??= new Dictionary<string, string>(StringComparer.Ordinal);
        meta.Annotations ??= new Dictionary<string, string>(StringComparer.Ordinal);
        meta.Finalizers ??= [];
        meta.OwnerReferences ??= [];
        return meta;
    }

    /// <summary>A controller reference to this object, which must have been stored (it needs a uid): it is then deleted with it.</summary>
    /// <exception cref="InvalidOperationException">The object has no uid yet.</exception>
    public V1OwnerReference ControllerReference() =>
        string.IsNullOrEmpty(Metadata.Uid)
            ? throw new InvalidOperationException(
                $"{this} has no uid: only an object read back from the store can own others; create it first, then use what the store returned.")
            : new V1OwnerReference
            {
                ApiVersion = ApiVersion,
                Kind = Kind,
                Name = Metadata.Name,
                Uid = Metadata.Uid,
                Controller = true,
                BlockOwnerDeletion = true,
            };

    /// <summary><c>Kind namespace/name</c>, for logs and error messages.</summary>
    public override string ToString() => $"{Kind} {Metadata.NamespaceProperty}/{Metadata.Name}";
}

/// <summary>A resource with a desired state (<see cref="Spec"/>, written by users) and an observed one (<see cref="Status"/>, written by controllers).</summary>
/// <typeparam name="TSpec">What the user asks for.</typeparam>
/// <typeparam name="TStatus">What the controller reports.</typeparam>
public abstract class Resource<TSpec, TStatus> : Resource
    where TSpec : class, new()
    where TStatus : class, new()
{
    /// <summary>Sets the identity of a kind; derived classes pass their registered API version and kind.</summary>
    protected Resource(string apiVersion, string kind)
        : base(apiVersion, kind)
    {
    }

    /// <summary>The desired state.</summary>
    [JsonPropertyOrder(1)]
    public TSpec Spec { get; set; } = new();

    /// <summary>The observed state; empty until a controller has seen the object.</summary>
    [JsonPropertyOrder(2)]
    public TStatus Status { get; set; } = new();
}

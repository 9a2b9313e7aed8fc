using System.Text.Json.Serialization;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// An object of the API, in Kubernetes' shape: <c>apiVersion</c>, <c>kind</c> and <c>metadata</c>. The same classes are
/// what the controller stores, what the SDK sends and what the Kubernetes publisher turns into custom resources.
/// </summary>
/// <remarks>
/// Objects are mutable because controllers build and patch them; a controller must never mutate an object it got from
/// a cache, but a <see cref="Clone"/> of it.
/// </remarks>
public abstract class Resource
{
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

    /// <summary>Name, namespace, labels and the fields the store maintains (uid, resourceVersion, generation…).</summary>
    [JsonPropertyOrder(-1)]
    public ObjectMeta Metadata { get; set; } = new();

    /// <summary>A deep copy, independent of this object: change it freely, then write it back.</summary>
    /// <remarks>
    /// The copy is made through <see cref="ResourceJson.Options"/>, so it holds exactly what would be stored or sent,
    /// and a field added later is copied without anyone remembering to.
    /// </remarks>
    public virtual Resource Clone() => ResourceJson.Clone(this);

    /// <summary><c>Kind namespace/name</c>, for logs and error messages.</summary>
    public override string ToString() => $"{Kind} {Metadata.Namespace}/{Metadata.Name}";
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

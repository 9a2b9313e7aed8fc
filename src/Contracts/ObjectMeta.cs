using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts;

/// <summary>
/// Kubernetes' object metadata, less what this project has no use for (generateName, managedFields…). Users set
/// name, namespace, labels, annotations and finalizers; the store sets uid, resourceVersion, generation and the
/// timestamps.
/// </summary>
public sealed class ObjectMeta
{
    /// <summary>The namespace used when none is given, as in Kubernetes.</summary>
    public const string DefaultNamespace = "default";

    /// <summary>
    /// The name, unique per kind within a namespace. Its format depends on the kind (see
    /// <see cref="ResourceKind.NameFormat"/>): a DNS-1123 label for kinds whose names become host or label values.
    /// </summary>
    [Required(Example = "housing")]
    public string Name { get; set; } = "";

    /// <summary>The namespace; <c>default</c> unless set.</summary>
    [Required(Example = DefaultNamespace)]
    [DnsLabel(Example = "team-a")]
    public string Namespace { get; set; } = DefaultNamespace;

    /// <summary>Labels for selection, e.g. the run a flow step belongs to.</summary>
    [Labels]
    public Dictionary<string, string> Labels { get; set; } = [];

    /// <summary>Free-form annotations for tools; not used for selection.</summary>
    [Annotations]
    public Dictionary<string, string> Annotations { get; set; } = [];

    /// <summary>Set by the store when the object is created; unique across time.</summary>
    public string? Uid { get; set; }

    /// <summary>Set by the store on every write; an update must carry the version it read (optimistic concurrency).</summary>
    public string? ResourceVersion { get; set; }

    /// <summary>Set by the store; incremented on every change of the spec (not of the status).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public long Generation { get; set; }

    /// <summary>Set by the store when the object is created.</summary>
    public DateTimeOffset? CreationTimestamp { get; set; }

    /// <summary>Set by the store when deletion was requested; the object goes once its finalizers are gone.</summary>
    public DateTimeOffset? DeletionTimestamp { get; set; }

    /// <summary>Controllers that must clean up before the object is deleted, e.g. <c>data.fluid-aspire.io/controller</c>.</summary>
    [QualifiedName]
    public List<string> Finalizers { get; set; } = [];

    /// <summary>The objects this one belongs to; it is deleted with its controlling owner.</summary>
    public List<OwnerReference> OwnerReferences { get; set; } = [];

    /// <summary>A deep copy.</summary>
    public ObjectMeta Clone() => ResourceJson.Clone(this);
}

/// <summary>A reference from an object to an owner in the same namespace, in Kubernetes' shape.</summary>
public sealed class OwnerReference
{
    /// <summary>The owner's API version, e.g. <c>data.fluid-aspire.io/v1alpha1</c>.</summary>
    [Required(Example = ResourceKinds.ApiVersion)]
    public string ApiVersion { get; set; } = "";

    /// <summary>The owner's kind, e.g. <c>Dataset</c>.</summary>
    [Required(Example = "Dataset")]
    public string Kind { get; set; } = "";

    /// <summary>The owner's name.</summary>
    [Required(Example = "housing")]
    public string Name { get; set; } = "";

    /// <summary>The owner's uid, so that a new object of the same name is not mistaken for the owner.</summary>
    [Required(Example = "0b9c6a8e-2f0f-4a55-9d1e-5c9a43f0b7a1")]
    public string Uid { get; set; } = "";

    /// <summary>True for the one owner that manages this object.</summary>
    public bool? Controller { get; set; }

    /// <summary>True when the owner may not be deleted (in the foreground) before this object is.</summary>
    public bool? BlockOwnerDeletion { get; set; }

    /// <summary>A controller reference to <paramref name="owner"/>, which must have been stored (it needs a uid).</summary>
    /// <exception cref="ArgumentException">The owner has no uid yet.</exception>
    public static OwnerReference ControlledBy(Resource owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (string.IsNullOrEmpty(owner.Metadata.Uid))
        {
            throw new ArgumentException(
                $"{owner} has no uid: only an object read back from the store can own others; create it first, then use what the store returned.",
                nameof(owner));
        }

        return new OwnerReference
        {
            ApiVersion = owner.ApiVersion,
            Kind = owner.Kind,
            Name = owner.Metadata.Name,
            Uid = owner.Metadata.Uid,
            Controller = true,
            BlockOwnerDeletion = true,
        };
    }
}

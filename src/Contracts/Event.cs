using k8s.Models;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts;

/// <summary>Whether an event is routine or needs attention.</summary>
public enum EventType
{
    /// <summary>Routine: bound, scheduled, completed.</summary>
    Normal,

    /// <summary>Something went wrong or may need action.</summary>
    Warning,
}

/// <summary>
/// Something that happened to an object, recorded per object so that people see its history (as
/// <c>kubectl describe</c> shows it). Its fields are a subset of Kubernetes' core <c>v1</c> Event, and its apiVersion
/// is that one, so that on a cluster the controller can record real Kubernetes events and tools show them unchanged.
/// </summary>
[SuppressMessage("Naming", "CA1716:Identifiers should not match keywords",
    Justification = "The class is named after its kind, Event, as every other kind's class is; C# has no such keyword.")]
public sealed class Event : Resource
{
    /// <summary>An empty event.</summary>
    public Event()
        : base(ResourceKinds.CoreApiVersion, nameof(Event))
    {
    }

    /// <summary>The object the event is about.</summary>
    [Required(Example = "{\"kind\": \"Dataset\", \"name\": \"housing\"}")]
    public ObjectReference InvolvedObject { get; set; } = new();

    /// <summary>Routine or warning; Normal when unset.</summary>
    public EventType? Type { get; set; }

    /// <summary>A CamelCase word, the same for all events of one kind of happening, e.g. <c>Scheduled</c>.</summary>
    [Required(Example = "Scheduled")]
    [Pattern(@"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", "a CamelCase word", Example = "Scheduled")]
    public string Reason { get; set; } = "";

    /// <summary>What happened, for people.</summary>
    public string? Message { get; set; }

    /// <summary>How many times it happened between the first and last timestamps (repeats are counted, not re-recorded).</summary>
    [Range(1)]
    public int Count { get; set; } = 1;

    /// <summary>When it first happened.</summary>
    public DateTimeOffset? FirstTimestamp { get; set; }

    /// <summary>When it last happened.</summary>
    public DateTimeOffset? LastTimestamp { get; set; }

    /// <summary>Who reported it.</summary>
    public EventSource? Source { get; set; }

    /// <summary>A new event about <paramref name="involved"/>, named <c>&lt;name&gt;.&lt;hex time&gt;</c> like Kubernetes' events, in its namespace.</summary>
    public static Event For(Resource involved, EventType type, string reason, string message, string component, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(involved);
        return new Event
        {
            Metadata = new V1ObjectMeta
            {
                Name = string.Create(CultureInfo.InvariantCulture, $"{involved.Metadata.Name}.{now.UtcTicks:x}"),
                NamespaceProperty = involved.Metadata.NamespaceProperty,
            },
            InvolvedObject = ObjectReference.To(involved),
            Type = type,
            Reason = reason,
            Message = message,
            Count = 1,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new EventSource { Component = component },
        };
    }

    /// <inheritdoc cref="Resource.Clone" />
    public override Event Clone() => ResourceJson.Clone(this);
}

/// <summary>A reference to an object by kind, namespace, name and uid.</summary>
public sealed class ObjectReference
{
    /// <summary>The object's apiVersion.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>The object's kind, e.g. <c>Dataset</c>.</summary>
    [Required(Example = "Dataset")]
    public string Kind { get; set; } = "";

    /// <summary>The object's namespace.</summary>
    [DnsLabel(Example = "team-a")]
    public string? Namespace { get; set; }

    /// <summary>The object's name.</summary>
    [Required(Example = "housing")]
    public string Name { get; set; } = "";

    /// <summary>The object's uid, which tells it apart from an earlier object of the same name.</summary>
    public string? Uid { get; set; }

    /// <summary>A reference to <paramref name="target"/>.</summary>
    public static ObjectReference To(Resource target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new ObjectReference
        {
            ApiVersion = target.ApiVersion,
            Kind = target.Kind,
            Namespace = target.Metadata.NamespaceProperty,
            Name = target.Metadata.Name,
            Uid = target.Metadata.Uid,
        };
    }
}

/// <summary>The reporter of an event.</summary>
public sealed class EventSource
{
    /// <summary>The component, e.g. <c>dataset-controller</c>.</summary>
    public string? Component { get; set; }

    /// <summary>The node it ran on.</summary>
    public string? Host { get; set; }
}

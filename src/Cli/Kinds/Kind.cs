using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Schema;
using k8s.Models;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>One object as listed: its name, namespace (none for nodes), the typed object, and its JSON for <c>-o json|yaml</c>.</summary>
internal sealed record Item(string Name, string? Namespace, object Value, JsonNode Json);

/// <summary>A column of <c>fluid get</c>; wide columns show only with <c>-o wide</c>.</summary>
internal sealed record Column(string Header, Func<Item, DateTimeOffset, Cell> Value, bool Wide = false);

/// <summary>
/// What the commands know about one kind: the names it answers to, how to list, get and delete it, its columns,
/// and how to describe it.
/// </summary>
internal abstract class Kind
{
    /// <summary>The lower-case singular, e.g. <c>dataset</c>.</summary>
    public abstract string Singular { get; }

    /// <summary>The lower-case plural, e.g. <c>datasets</c>.</summary>
    public abstract string Plural { get; }

    /// <summary>Every name the kind answers to on the command line (singular, plural, short names).</summary>
    public abstract IReadOnlyList<string> Names { get; }

    /// <summary>The kind as kubectl qualifies it in <c>-o name</c> and in <c>deleted</c> lines: <c>dataset.data.fluid-aspire.io</c>.</summary>
    public abstract string Qualified { get; }

    /// <summary>False for nodes, which belong to no namespace.</summary>
    public virtual bool Namespaced => true;

    /// <summary>False for kinds whose objects have no Events (nodes, events themselves).</summary>
    public virtual bool HasEvents => true;

    public abstract IReadOnlyList<Column> Columns { get; }

    /// <summary>The objects in <paramref name="namespace"/> (all namespaces when null) that carry every label of <paramref name="labels"/>.</summary>
    public abstract Task<IReadOnlyList<Item>> ListAsync(Session session, string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken);

    /// <summary>The object, or null when there is none.</summary>
    public abstract Task<Item?> GetAsync(Session session, string name, string @namespace, CancellationToken cancellationToken);

    /// <summary>Asks for the object's deletion; false when there is no such object.</summary>
    public abstract Task<bool> DeleteAsync(Session session, string name, string @namespace, CancellationToken cancellationToken);

    public abstract void Describe(Description description, Item item, IReadOnlyList<Corev1Event> events, DateTimeOffset now);
}

/// <summary>A kind whose items hold objects of the class <typeparamref name="T"/>, from which its columns are computed.</summary>
internal abstract class Kind<T> : Kind
    where T : class
{
    /// <summary>A column computed from the object.</summary>
    protected static Column Of(string header, Func<T, Cell> value, bool wide = false) => new(header, (item, _) => value((T)item.Value), wide);

    /// <summary>A column computed from the object and the time of the listing.</summary>
    protected static Column Of(string header, Func<T, DateTimeOffset, Cell> value, bool wide = false) => new(header, (item, now) => value((T)item.Value, now), wide);
}

/// <summary>A kind kept in the resource store, described by its class <typeparamref name="T"/>.</summary>
internal abstract class StoredKind<T> : Kind<T>
    where T : Resource
{
    /// <summary>The kind as the API registers it.</summary>
    protected ResourceKind Registered { get; } = ResourceKinds.Of<T>();

    public override string Plural => Registered.Plural;

    public override string Qualified => $"{Singular}.{Registered.Group}";

    public override async Task<IReadOnlyList<Item>> ListAsync(
        Session session, string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        var list = await session.Store.ListAsync<T>(@namespace, labels, cancellationToken);
        return [.. Order(list.Items).Select(ToItem)];
    }

    public override async Task<Item?> GetAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        await session.Store.GetAsync<T>(name, @namespace, cancellationToken) is { } resource ? ToItem(resource) : null;

    public override async Task<bool> DeleteAsync(Session session, string name, string @namespace, CancellationToken cancellationToken)
    {
        try
        {
            await session.Store.DeleteAsync<T>(name, @namespace, cancellationToken);
            return true;
        }
        catch (Contracts.Store.ResourceNotFoundException)
        {
            return false;
        }
    }

    public override void Describe(Description description, Item item, IReadOnlyList<Corev1Event> events, DateTimeOffset now)
    {
        var resource = (T)item.Value;
        Describing.Metadata(description, resource, now);
        Describe(description, resource, now);
        if (HasEvents)
        {
            Describing.Events(description, events, now);
        }
    }

    /// <summary>The kind's own sections, between the metadata and the events.</summary>
    protected abstract void Describe(Description description, T resource, DateTimeOffset now);

    /// <summary>The order of a listing; by namespace and name, as the store keeps them.</summary>
    protected virtual IEnumerable<T> Order(IEnumerable<T> items) => items;

    /// <summary>kubectl's AGE column: since the object was created.</summary>
    protected static Column Age() => new("AGE", (item, now) => Humanize.Age(((T)item.Value).Metadata.CreationTimestamp, now));

    private static Item ToItem(T resource) =>
        new(resource.Metadata.Name, resource.Metadata.NamespaceProperty, resource, JsonNode.Parse(ResourceJson.Serialize(resource))!);
}

/// <summary>
/// A kind of this project: its names and columns are the ones its CRD declares (<see cref="ResourceKind"/>), so that
/// <c>fluid get</c> and <c>kubectl get</c> show the same table.
/// </summary>
internal abstract class CustomKind<T> : StoredKind<T>
    where T : Resource
{
    /// <param name="aliases">Names fluid accepts beyond the CRD's, listed first (the first is the one help shows).</param>
    protected CustomKind(params string[] aliases)
    {
        Names = [.. aliases.Concat([Registered.Singular, Registered.Plural]).Concat(Registered.ShortNames).Distinct()];
        Columns = [new("NAME", (item, _) => item.Name), .. Registered.PrinterColumns.Select(ToColumn)];
    }

    public override string Singular => Registered.Singular;

    public override IReadOnlyList<string> Names { get; }

    public override IReadOnlyList<Column> Columns { get; }

    /// <summary>A printer column: kubectl's upper-cased header, its value read from the JSON form, dates as ages and phases coloured.</summary>
    private static Column ToColumn(V1CustomResourceColumnDefinition column) =>
        new(column.Name.ToUpperInvariant(), (item, now) => Cell(column, PrinterColumnPath.Read(item.Json, column.JsonPath), now), Wide: column.Priority > 0);

    private static Cell Cell(V1CustomResourceColumnDefinition column, JsonNode? value, DateTimeOffset now)
    {
        if (column.Type == "date")
        {
            return Humanize.Age(value is null ? null : DateTimeOffset.Parse(value.GetValue<string>(), CultureInfo.InvariantCulture), now);
        }

        var text = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString();
        // A phase is a state word (Bound, Failed, Ready…), coloured by what it means.
        return column.JsonPath.EndsWith("phase", StringComparison.OrdinalIgnoreCase) ? Output.Cell.State(text) : text;
    }
}

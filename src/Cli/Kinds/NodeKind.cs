using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>
/// Nodes, as the controller sees them live (<c>GET /api/v1/nodes</c>): not resources in the store but the daemons
/// registered under each node name, so they have no namespace, no events, and cannot be deleted.
/// </summary>
internal sealed class NodeKind : Kind
{
    private const string Purpose = "Listing nodes";

    public override string Singular => "node";

    public override string Plural => "nodes";

    public override IReadOnlyList<string> Names { get; } = ["node", "nodes", "no"];

    public override string Qualified => "node";

    public override bool Namespaced => false;

    public override bool HasEvents => false;

    public override IReadOnlyList<Column> Columns { get; } =
    [
        new("NAME", (item, _) => item.Name),
        new("READY", (item, _) => Cell.State(Ready(item) ? "True" : "False")),
        new("ZONE", (item, _) => Node(item).Labels.GetValueOrDefault(NodeLabels.Zone)),
        new("REGION", (item, _) => Node(item).Labels.GetValueOrDefault(NodeLabels.Region)),
        new("DAEMONS", (item, _) => string.Join(",", Node(item).Members.Select(m => m.Component))),
        new("MISSING", (item, _) => string.Join(",", Missing(item)), Wide: true),
        new("HOSTS", (item, _) => string.Join(",", Node(item).Members.Select(m => m.Host).Distinct()), Wide: true),
        new("AGE", (item, now) => Humanize.Age(Node(item).Members.Select(m => (DateTimeOffset?)m.StartedAt).Min(), now), Wide: true),
    ];

    public override async Task<IReadOnlyList<Item>> ListAsync(
        Session session, string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        var nodes = await session.GetControllerJsonAsync("/api/v1/nodes", Purpose, cancellationToken) as JsonArray
            ?? throw new CliException("The controller's /api/v1/nodes did not answer a JSON list; is the controller of the same version as fluid?");
        return [.. nodes.Select(n => ToItem(n!)).Where(n => labels is null || labels.All(l => Node(n).Labels.GetValueOrDefault(l.Key) == l.Value))];
    }

    public override async Task<Item?> GetAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        await session.GetControllerJsonAsync($"/api/v1/nodes/{Uri.EscapeDataString(name)}", Purpose, cancellationToken) is { } node ? ToItem(node) : null;

    public override Task<bool> DeleteAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        throw CliException.Usage(
            "nodes cannot be deleted: a node is the daemons registered under its name (object store, cache agent); stop them, and the node " +
            "leaves once their leases expire.");

    public override void Describe(Description description, Item item, IReadOnlyList<Event> events, DateTimeOffset now)
    {
        var node = Node(item);
        description.Field(0, "Name", node.Name)
            .State(0, "Ready", Ready(item) ? "True" : "False")
            .Field(0, "Missing", string.Join(", ", Missing(item)), Missing(item).Any() ? Tone.Bad : Tone.Plain)
            .Map(0, "Labels", node.Labels);
        description.Table(0, "Daemons", ["Component", "Host", "PID", "Version", "Started", "Endpoints"],
        [
            .. node.Members.Select(m => new Cell[]
            {
                m.Component,
                m.Host,
                m.ProcessId.ToString(CultureInfo.InvariantCulture),
                m.Version,
                Humanize.Age(m.StartedAt, now) + " ago",
                string.Join(" ", m.Endpoints.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}")),
            }),
        ]);
    }

    private static Item ToItem(JsonNode json)
    {
        var node = json.Deserialize<ClusterNode>(ClusterJson.Options)
            ?? throw new CliException("The controller answered a null node; is the controller of the same version as fluid?");
        return new Item(node.Name, null, node, json);
    }

    private static ClusterNode Node(Item item) => (ClusterNode)item.Value;

    /// <summary>Readiness as the controller judged it, which knows which daemons a node needs.</summary>
    private static bool Ready(Item item) => item.Json["ready"]?.GetValue<bool>() ?? Node(item).Ready;

    private static IEnumerable<string> Missing(Item item) =>
        item.Json["missing"] is JsonArray missing ? missing.Select(m => m!.GetValue<string>()) : Node(item).Missing;
}

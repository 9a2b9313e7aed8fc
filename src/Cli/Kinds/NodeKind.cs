using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;
using k8s.Models;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>
/// Nodes as the scheduler sees them: the Node objects of the Kubernetes API with the daemons whose member Lease is
/// live (renewed within its duration by this machine's clock). They have no namespace and no events here, and
/// cannot be deleted with <c>fluid</c>.
/// </summary>
internal sealed class NodeKind : Kind
{
    public override string Singular => "node";

    public override string Plural => "nodes";

    public override IReadOnlyList<string> Names { get; } = ["node", "nodes", "no"];

    public override string Qualified => "node";

    public override bool Namespaced => false;

    public override bool HasEvents => false;

    public override IReadOnlyList<Column> Columns { get; } =
    [
        new("NAME", (item, _) => item.Name),
        new("READY", (item, _) => Cell.State(Node(item).Ready ? "True" : "False")),
        new("ZONE", (item, _) => Node(item).Labels.GetValueOrDefault(NodeLabels.Zone)),
        new("REGION", (item, _) => Node(item).Labels.GetValueOrDefault(NodeLabels.Region)),
        new("DAEMONS", (item, _) => string.Join(",", Node(item).Members.Select(m => m.Component))),
        new("MISSING", (item, _) => string.Join(",", Node(item).Missing), Wide: true),
        new("HOSTS", (item, _) => string.Join(",", Node(item).Members.Select(m => m.Host).Distinct()), Wide: true),
        new("AGE", (item, now) => Humanize.Age(Node(item).Members.Select(m => (DateTimeOffset?)m.StartedAt).Min(), now), Wide: true),
    ];

    public override async Task<IReadOnlyList<Item>> ListAsync(
        Session session, string? @namespace, IReadOnlyDictionary<string, string>? labels, CancellationToken cancellationToken)
    {
        var selector = labels is { Count: > 0 } ? string.Join(',', labels.Select(l => $"{l.Key}={l.Value}")) : null;
        return await ReadAsync(session, selector, cancellationToken);
    }

    public override async Task<Item?> GetAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        (await ReadAsync(session, null, cancellationToken)).FirstOrDefault(n => n.Name == name);

    public override Task<bool> DeleteAsync(Session session, string name, string @namespace, CancellationToken cancellationToken) =>
        throw CliException.Usage(
            "fluid does not delete nodes: a node is the Node object and the daemons registered under its name (object store, cache agent); stop " +
            "the daemons and they leave at once (or when their leases expire); 'kubectl delete node' removes the Node object.");

    public override void Describe(Description description, Item item, IReadOnlyList<Corev1Event> events, DateTimeOffset now)
    {
        var node = Node(item);
        description.Field(0, "Name", node.Name)
            .State(0, "Ready", node.Ready ? "True" : "False")
            .Field(0, "Missing", string.Join(", ", node.Missing), node.Missing.Count > 0 ? Tone.Bad : Tone.Plain)
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

    private static async Task<IReadOnlyList<Item>> ReadAsync(Session session, string? labelSelector, CancellationToken cancellationToken)
    {
        var nodes = await session.KubernetesAsync("listing nodes", kubernetes =>
            ClusterNode.ReadAsync(kubernetes, session.Client.ControlPlaneNamespace, session.Now, labelSelector, cancellationToken));
        return [.. nodes.Select(n => new Item(n.Name, null, n, JsonSerializer.SerializeToNode(n, ClusterJson.Options)!))];
    }

    private static ClusterNode Node(Item item) => (ClusterNode)item.Value;
}

using System.Globalization;
using System.Net.Http.Json;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Membership;

// Until the linear-regression pipeline lands (issue 5), this sample checks the stack it runs on: it waits until the
// controller reports every expected node ready, prints them, and exits 0; or explains what is missing and exits 1.
var connection = ClusterConnectionString.Parse(Environment.GetEnvironmentVariable("ConnectionStrings__fluid"));
var controller = connection.Controller
    ?? throw new InvalidOperationException("ConnectionStrings__fluid names no Controller=…; run the sample through the AppHost.");
var expected = int.Parse(Environment.GetEnvironmentVariable("Fluid__ExpectedNodes") ?? "1", CultureInfo.InvariantCulture);
var deadline = DateTime.UtcNow.AddSeconds(60);

using var http = new HttpClient { BaseAddress = controller, Timeout = TimeSpan.FromSeconds(5) };
IReadOnlyList<ClusterNode> nodes = [];
while (DateTime.UtcNow < deadline)
{
    nodes = await http.GetFromJsonAsync<List<ClusterNode>>("/api/v1/nodes", ClusterJson.Options) ?? [];
    if (nodes.Count(n => n.Ready) >= expected)
    {
        break;
    }

    await Task.Delay(500);
}

Console.WriteLine($"{"NODE",-10} {"READY",-6} {"ZONE",-8} {"REGION",-8} DAEMONS");
foreach (var node in nodes)
{
    Console.WriteLine(
        $"{node.Name,-10} {(node.Ready ? "yes" : "no"),-6} {node.Labels.GetValueOrDefault(NodeLabels.Zone, "-"),-8} " +
        $"{node.Labels.GetValueOrDefault(NodeLabels.Region, "-"),-8} " +
        string.Join(", ", node.Members.Select(m => $"{m.Component} (pid {m.ProcessId})")));
}

var ready = nodes.Count(n => n.Ready);
if (ready < expected)
{
    Console.Error.WriteLine($"RESULT failed: {ready} of {expected} nodes ready after 60 s; missing daemons: " +
        string.Join("; ", nodes.Where(n => !n.Ready).Select(n => $"{n.Name}: {string.Join(", ", n.Missing)}")));
    return 1;
}

Console.WriteLine($"RESULT nodes={ready} controller={controller}");
return 0;

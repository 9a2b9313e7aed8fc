using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ApiServer.Tests;

/// <summary>The local API's semantics that kubectl does not show directly: garbage collection, watch options, strategic merge, selectors, pages.</summary>
public sealed class ApiTests
{
    private const string Datasets = "/apis/data.fluid-aspire.io/v1alpha1/namespaces/ml/datasets";
    private const string Runtimes = "/apis/data.fluid-aspire.io/v1alpha1/namespaces/ml/objectstoreruntimes";

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Dependents_go_with_their_owner_unless_orphaned_and_a_namespace_takes_its_content_with_it()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        var owner = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("housing"), expected: 201);
        var kept = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("kept"), expected: 201);
        await api.SendAsync(HttpMethod.Post, Runtimes, Runtime("housing", owner), expected: 201);
        await api.SendAsync(HttpMethod.Post, Runtimes, Runtime("kept", kept), expected: 201);

        await api.SendAsync(HttpMethod.Delete, $"{Datasets}/housing");
        await api.SendAsync(HttpMethod.Delete, $"{Datasets}/kept?propagationPolicy=Orphan");

        await Eventually.ReturnsAsync(() => NamesAsync(api, Runtimes), names => names.SequenceEqual(["kept"]), Eventually.Patience,
            "the owned runtime deleted and the orphaned one kept", Cancellation);
        var orphan = await api.SendAsync(HttpMethod.Get, $"{Runtimes}/kept");
        Assert.Empty(orphan["metadata"]!["ownerReferences"] as JsonArray ?? []);

        await api.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/ml");
        await Eventually.ReturnsAsync(() => NamesAsync(api, "/apis/data.fluid-aspire.io/v1alpha1/objectstoreruntimes"), names => names.Length == 0,
            Eventually.Patience, "the namespace's content deleted with it", Cancellation);
        var refused = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("late"), expected: 404);
        Assert.Equal("namespaces \"ml\" not found", refused["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_secrets_string_data_is_stored_as_data_and_never_kept()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        const string secrets = "/api/v1/namespaces/ml/secrets";

        await api.SendAsync(HttpMethod.Post, secrets, new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "s3" },
            ["data"] = new JsonObject { ["region"] = Convert.ToBase64String("us-east-1"u8.ToArray()), ["aws.secretKey"] = "b2xk" },
            ["stringData"] = new JsonObject { ["aws.secretKey"] = "new secret" },
        }, expected: 201);
        var refused = await api.SendAsync(HttpMethod.Post, secrets, new JsonObject
        {
            ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "bad" }, ["stringData"] = new JsonObject { ["port"] = 9000 },
        }, expected: 422);

        var stored = await api.SendAsync(HttpMethod.Get, $"{secrets}/s3");
        Assert.Equal("Opaque", stored["type"]!.GetValue<string>());
        Assert.Null(stored["stringData"]);
        Assert.Equal("new secret", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(stored["data"]!["aws.secretKey"]!.GetValue<string>())));
        Assert.Equal("us-east-1", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(stored["data"]!["region"]!.GetValue<string>())));
        Assert.Contains("stringData.port", refused.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_watch_sends_its_initial_events_and_bookmarks_and_a_compacted_version_ends_it_with_410()
    {
        await using var api = await LocalApi.StartAsync(Cancellation, ("Fluid:ApiServer:BookmarkInterval", "00:00:00.2"));
        await api.CreateNamespaceAsync("ml");
        await api.SendAsync(HttpMethod.Post, Datasets, Dataset("a"), expected: 201);
        using var client = api.CreateClient();

        var lines = await ReadLinesAsync(client, $"{Datasets}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan", 3);

        Assert.Equal("ADDED", lines[0]["type"]!.GetValue<string>());
        Assert.Equal("a", lines[0]["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("BOOKMARK", lines[1]["type"]!.GetValue<string>());
        Assert.Equal("true", lines[1]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]!.GetValue<string>());
        Assert.Equal("BOOKMARK", lines[2]["type"]!.GetValue<string>());

        var b = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("b"), expected: 201);
        using (var etcd = new Cluster.Etcd.EtcdConnection(api.Etcd.ConnectionString()))
        {
            await etcd.KeyValue.CompactAsync(new Etcdserverpb.CompactionRequest { Revision = long.Parse(b["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) },
                cancellationToken: Cancellation);
        }

        var expired = await ReadLinesAsync(client, $"{Datasets}?watch=1&resourceVersion=1", 1);
        Assert.Equal("ERROR", expired[0]["type"]!.GetValue<string>());
        Assert.Equal(410, expired[0]["object"]!["code"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_quiet_watch_is_answered_at_once_and_a_write_meant_for_another_uid_conflicts()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        var a = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("a"), expected: 201);
        using var client = api.CreateClient();

        // client-go counts a watch as started once its answer comes: it must not wait for the first event or bookmark (60 s).
        using var watch = await client.GetAsync($"{Datasets}?watch=1&allowWatchBookmarks=true&resourceVersion={a["metadata"]!["resourceVersion"]}",
            HttpCompletionOption.ResponseHeadersRead, Cancellation).WaitAsync(TimeSpan.FromSeconds(30), Cancellation);
        a["metadata"]!["uid"] = Guid.NewGuid().ToString();
        var conflict = await api.SendAsync(HttpMethod.Put, $"{Datasets}/a", a, expected: 409);

        Assert.Equal(System.Net.HttpStatusCode.OK, watch.StatusCode);
        Assert.StartsWith("Operation cannot be fulfilled on datasets.data.fluid-aspire.io \"a\": Precondition failed: UID in precondition", conflict["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_local_stacks_kubeconfig_is_published_while_the_server_runs_and_only_its_own_is_removed()
    {
        using var home = new TemporaryDirectory();
        var published = Path.Combine(home.Path, ".fluid", "stack", "kubeconfig");
        var first = await LocalApi.StartAsync(Cancellation, ("Fluid:ApiServer:LocalStackKubeconfig", published));
        var second = await LocalApi.StartAsync(Cancellation, ("Fluid:ApiServer:LocalStackKubeconfig", published));
        try
        {
            // The second server published over the first: the first, stopping, leaves the second's in place.
            var whileBoth = await File.ReadAllTextAsync(published, Cancellation);
            await first.App.StopAsync(Cancellation);
            var afterFirst = File.Exists(published);
            await second.App.StopAsync(Cancellation);

            Assert.Equal(await File.ReadAllTextAsync(second.KubeconfigPath, Cancellation), whileBoth);
            Assert.True(afterFirst);
            Assert.False(File.Exists(published));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }
    }

    [Fact]
    public async Task An_update_is_checked_against_etcd_even_when_the_server_remembers_what_it_wrote()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        var a = await api.SendAsync(HttpMethod.Post, Datasets, Dataset("a"), expected: 201);

        // Someone writes the object past the server, straight into etcd: what the server remembers is no longer current.
        using (var etcd = new Cluster.Etcd.EtcdConnection(api.Etcd.ConnectionString()))
        {
            var all = await etcd.KeyValue.RangeAsync(new Etcdserverpb.RangeRequest
            {
                Key = Google.Protobuf.ByteString.CopyFromUtf8("\0"),
                RangeEnd = Google.Protobuf.ByteString.CopyFromUtf8("\0"),
            }, cancellationToken: Cancellation);
            var stored = all.Kvs.Single(kv => kv.Key.ToStringUtf8().EndsWith("/datasets/ml/a", StringComparison.Ordinal));
            var outside = JsonNode.Parse(stored.Value.ToStringUtf8())!;
            outside["metadata"]!["labels"] = new JsonObject { ["written"] = "outside" };
            await etcd.KeyValue.PutAsync(new Etcdserverpb.PutRequest { Key = stored.Key, Value = Google.Protobuf.ByteString.CopyFromUtf8(outside.ToJsonString()) },
                cancellationToken: Cancellation);
        }

        var stale = a.DeepClone();
        stale["metadata"]!["labels"] = new JsonObject { ["written"] = "stale" };
        var conflict = await api.SendAsync(HttpMethod.Put, $"{Datasets}/a", stale, expected: 409);
        var current = await api.SendAsync(HttpMethod.Get, $"{Datasets}/a");
        current["metadata"]!["labels"]!["updated"] = "yes";
        var updated = await api.SendAsync(HttpMethod.Put, $"{Datasets}/a", current);

        Assert.Contains("the object has been modified", conflict["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("outside", updated["metadata"]!["labels"]!["written"]!.GetValue<string>());
        Assert.Equal("yes", updated["metadata"]!["labels"]!["updated"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_strategic_merge_patch_merges_a_nodes_conditions_by_type_and_selectors_are_checked()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        var node = JsonNode.Parse("""
            {"metadata": {"name": "node-0", "labels": {"topology.kubernetes.io/zone": "zone-a"}},
             "status": {"conditions": [{"type": "Ready", "status": "False"}, {"type": "MemoryPressure", "status": "False"}]}}
            """)!;
        await api.SendAsync(HttpMethod.Post, "/api/v1/nodes", node, expected: 201);
        await api.SendAsync(HttpMethod.Patch, "/api/v1/nodes/node-0/status",
            JsonNode.Parse("""{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}"""), "application/strategic-merge-patch+json");

        var patched = await api.SendAsync(HttpMethod.Get, "/api/v1/nodes/node-0");
        var conditions = patched["status"]!["conditions"]!.AsArray().Select(c => $"{c!["type"]}={c["status"]}").ToArray();
        var selected = await NamesAsync(api, "/api/v1/nodes?labelSelector=" + Uri.EscapeDataString("topology.kubernetes.io/zone in (zone-a,zone-b)"));
        var unselected = await NamesAsync(api, "/api/v1/nodes?labelSelector=" + Uri.EscapeDataString("!topology.kubernetes.io/zone"));
        var badField = await api.SendAsync(HttpMethod.Get, "/api/v1/nodes?fieldSelector=spec.podCIDR%3Dx", expected: 400);
        var badLabel = await api.SendAsync(HttpMethod.Get, "/api/v1/nodes?labelSelector=a%20%3E%20b", expected: 400);

        Assert.Equal(["Ready=True", "MemoryPressure=False"], conditions);
        Assert.Equal(["node-0"], selected);
        Assert.Empty(unselected);
        Assert.StartsWith("field label not supported: spec.podCIDR", badField["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("unable to parse requirement 'a > b'", badLabel["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_list_in_pages_is_one_snapshot()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        foreach (var name in new[] { "a", "b", "c" })
        {
            await api.SendAsync(HttpMethod.Post, Datasets, Dataset(name), expected: 201);
        }

        var first = await api.SendAsync(HttpMethod.Get, $"{Datasets}?limit=2");
        await api.SendAsync(HttpMethod.Post, Datasets, Dataset("d"), expected: 201);
        var second = await api.SendAsync(HttpMethod.Get, $"{Datasets}?limit=2&continue={Uri.EscapeDataString(first["metadata"]!["continue"]!.GetValue<string>())}");

        Assert.Equal(["a", "b"], first["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Equal(["c"], second["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));
        Assert.Null(second["metadata"]!["continue"]);
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), second["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_event_is_held_to_the_event_rules_and_a_subdomain_name()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.CreateNamespaceAsync("ml");
        const string events = "/api/v1/namespaces/ml/events";
        var bad = Event("housing.17a2b3c4d5e6f");
        bad["reason"] = "Mount failed";
        bad["count"] = 0;
        bad["involvedObject"]!.AsObject().Remove("kind");

        await api.SendAsync(HttpMethod.Post, events, Event("housing.17a2b3c4d5e6f"), expected: 201);
        var refused = await api.SendAsync(HttpMethod.Post, events, bad, expected: 422);
        var longName = await api.SendAsync(HttpMethod.Post, events, Event(new string('a', 254)), expected: 422);

        var causes = refused["details"]!["causes"]!.AsArray().Select(c => (c!["field"]!.GetValue<string>(), c["message"]!.GetValue<string>())).ToList();
        Assert.Equal(["count", "involvedObject.kind", "reason"], causes.Select(c => c.Item1).Order(StringComparer.Ordinal));
        Assert.Contains(causes, c => c.Item2.Contains("is not a CamelCase word", StringComparison.Ordinal));
        Assert.Contains("a DNS-1123 subdomain has at most 253", longName["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<List<JsonObject>> ReadLinesAsync(HttpClient client, string path, int count)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancellation);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Cancellation));
        var lines = new List<JsonObject>();
        while (lines.Count < count && await reader.ReadLineAsync(Cancellation) is { } line)
        {
            lines.Add(JsonNode.Parse(line)!.AsObject());
        }

        return lines;
    }

    private static async Task<string[]> NamesAsync(LocalApi api, string path) =>
        [.. (await api.SendAsync(HttpMethod.Get, path))["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];

    private static JsonObject Dataset(string name) => new()
    {
        ["apiVersion"] = "data.fluid-aspire.io/v1alpha1",
        ["kind"] = "Dataset",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject { ["mounts"] = new JsonArray(new JsonObject { ["name"] = "data", ["mountPoint"] = $"local:///data/{name}" }) },
    };

    private static JsonObject Event(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Event",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["involvedObject"] = new JsonObject { ["apiVersion"] = "data.fluid-aspire.io/v1alpha1", ["kind"] = "Dataset", ["namespace"] = "ml", ["name"] = "housing" },
        ["type"] = "Normal",
        ["reason"] = "Bound",
        ["count"] = 1,
        ["source"] = new JsonObject { ["component"] = "fluid-controller" },
    };

    private static JsonObject Runtime(string name, JsonObject owner) => new()
    {
        ["apiVersion"] = "data.fluid-aspire.io/v1alpha1",
        ["kind"] = "ObjectStoreRuntime",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "data.fluid-aspire.io/v1alpha1",
                ["kind"] = "Dataset",
                ["name"] = owner["metadata"]!["name"]!.GetValue<string>(),
                ["uid"] = owner["metadata"]!["uid"]!.GetValue<string>(),
                ["controller"] = true,
            }),
        },
        ["spec"] = new JsonObject
        {
            ["replicas"] = 1,
            ["tieredStore"] = new JsonObject { ["levels"] = new JsonArray(new JsonObject { ["mediumtype"] = "MEM", ["quota"] = "16Mi" }) },
        },
    };
}

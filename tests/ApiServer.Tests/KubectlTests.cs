using System.Text.Json.Nodes;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ApiServer.Tests;

/// <summary>The local API as the real kubectl 1.35 sees it: discovery, apply, get (Table, yaml, jsonpath, selectors, watch), describe, patch, conflicts, finalizers and errors.</summary>
public sealed class KubectlTests
{
    private static readonly string Examples = Path.Combine(RepositoryPaths.Root, "docs", "examples");

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Api_resources_lists_the_kinds_with_their_short_names_and_categories()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.KubectlAsync("create", "namespace", "ml");

        var resources = await api.KubectlAsync("api-resources", "-o", "wide");
        var fluid = await api.KubectlAsync("api-resources", "--categories", "fluid", "-o", "name");

        Assert.Matches(@"datasets\s+ds\s+data\.fluid-aspire\.io/v1alpha1\s+true\s+Dataset\s+create,delete,deletecollection,get,list,patch,update,watch\s+fluid", resources);
        Assert.Matches(@"leases\s+coordination\.k8s\.io/v1\s+true\s+Lease", resources);
        Assert.Matches(@"nodes\s+no\s+v1\s+false\s+Node", resources);
        Assert.Matches(@"pods\s+po\s+v1\s+true\s+Pod\s+create,delete,deletecollection,get,list,patch,update,watch\s+all", resources);
        Assert.Equal(
            ["cacheruntimes.data.fluid-aspire.io", "dataprocesses.data.fluid-aspire.io", "datasets.data.fluid-aspire.io", "objectstoreruntimes.data.fluid-aspire.io"],
            fluid.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_examples_apply_and_get_shows_the_printer_columns_yaml_jsonpath_and_label_selection()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.KubectlAsync("create", "namespace", "ml");
        var files = Directory.GetFiles(Examples, "*.yaml").Order(StringComparer.Ordinal).ToArray();

        var applied = await api.KubectlAsync(["apply", .. files.SelectMany(f => new[] { "-f", f })]);
        var again = await api.KubectlAsync(["apply", .. files.SelectMany(f => new[] { "-f", f })]);
        var table = await api.KubectlAsync("get", "dp", "-n", "ml");
        var wide = await api.KubectlAsync("get", "fluid", "-A", "-o", "wide");
        var yaml = await api.KubectlAsync("get", "dataset", "housing", "-n", "ml", "-o", "yaml");
        var names = await api.KubectlAsync("get", "dataprocesses", "-n", "ml", "-l", "fluid.io/run=r1", "-o", "jsonpath={.items[*].metadata.name}");
        var none = await api.TryKubectlAsync("get", "dp", "-n", "ml", "-l", "fluid.io/run in (r9)");

        Assert.Contains("dataset.data.fluid-aspire.io/housing created", applied, StringComparison.Ordinal);
        Assert.Contains("dataset.data.fluid-aspire.io/housing unchanged", again, StringComparison.Ordinal);
        Assert.Matches(@"NAME\s+DATASET\s+PHASE\s+NODE\s+DURATION\s+EXIT CODE\s+RUN\s+AGE", table);
        Assert.Matches(@"preprocess\s+housing\s+r1\s+\d+s", table);
        Assert.Contains("RUN AFTER", wide, StringComparison.Ordinal);
        Assert.Matches(@"ml\s+dataprocess\.data\.fluid-aspire\.io/preprocess\s+housing", wide);
        Assert.Contains("TOTAL FILES", wide, StringComparison.Ordinal);
        Assert.Contains("kind: Dataset", yaml, StringComparison.Ordinal);
        Assert.Contains("mountPoint: local:///mnt/data/housing/sales", yaml, StringComparison.Ordinal);
        Assert.Matches(@"resourceVersion: ""\d+""", yaml);
        Assert.Matches(@"uid: [0-9a-f-]{36}", yaml);
        Assert.Contains("preprocess", names.Split(' '));
        Assert.Equal(0, none.ExitCode);
        Assert.Contains("No resources found in ml namespace.", none.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_watch_prints_a_change_made_after_it_started()
    {
        await using var api = await WithHousingAsync();
        await using var watch = api.StartKubectl("get", "datasets", "-n", "ml", "--watch", "-o", "custom-columns=NAME:.metadata.name,TEAM:.metadata.labels.team");
        await watch.WaitForOutputAsync("housing", Eventually.Patience, Cancellation);

        await api.KubectlAsync("label", "dataset", "housing", "-n", "ml", "team=ml-platform");

        await watch.WaitForOutputAsync("ml-platform", Eventually.Patience, Cancellation);
    }

    [Fact]
    public async Task Get_watch_of_the_printer_columns_shows_a_later_phase()
    {
        await using var api = await WithHousingAsync();
        await using var watch = api.StartKubectl("get", "ds", "-n", "ml", "-w");
        await watch.WaitForOutputAsync("PHASE", Eventually.Patience, Cancellation);

        await api.SendAsync(HttpMethod.Patch, "/apis/data.fluid-aspire.io/v1alpha1/namespaces/ml/datasets/housing/status",
            JsonNode.Parse("""{"status":{"phase":"Bound"}}"""), "application/merge-patch+json");

        await watch.WaitForOutputAsync("Bound", Eventually.Patience, Cancellation);
    }

    [Fact]
    public async Task Describe_shows_the_fields_and_the_events_of_the_object()
    {
        await using var api = await WithHousingAsync();
        var uid = await api.JsonPathAsync("ds/housing", "{.metadata.uid}");
        var eventFile = Path.Combine(api.Directory, "event.json");
        await File.WriteAllTextAsync(eventFile, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Event",
            ["metadata"] = new JsonObject { ["name"] = "housing.1", ["namespace"] = "ml" },
            ["involvedObject"] = new JsonObject
            {
                ["apiVersion"] = "data.fluid-aspire.io/v1alpha1", ["kind"] = "Dataset", ["name"] = "housing", ["namespace"] = "ml", ["uid"] = uid,
            },
            ["reason"] = "NoRuntime",
            ["message"] = "No ObjectStoreRuntime named housing yet",
            ["type"] = "Normal",
            ["count"] = 1,
            ["firstTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["lastTimestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["source"] = new JsonObject { ["component"] = "dataset-controller" },
        }.ToJsonString(), Cancellation);
        await api.KubectlAsync("create", "-f", eventFile);

        var description = await api.KubectlAsync("describe", "dataset", "housing", "-n", "ml");
        var events = await api.KubectlAsync("get", "events", "-n", "ml");

        Assert.Contains("Mount Point:  local:///mnt/data/housing/sales", description, StringComparison.Ordinal);
        Assert.Matches(@"Events:\s+Type\s+Reason\s+Age\s+From\s+Message", description);
        Assert.Matches(@"Normal\s+NoRuntime\s+\S+\s+dataset-controller\s+No ObjectStoreRuntime named housing yet", description);
        Assert.Matches(@"LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE", events);
        Assert.Matches(@"Normal\s+NoRuntime\s+dataset/housing\s+No ObjectStoreRuntime named housing yet", events);
    }

    [Fact]
    public async Task Patch_merges_and_a_replace_with_a_stale_resource_version_conflicts()
    {
        await using var api = await WithHousingAsync();
        var stale = Path.Combine(api.Directory, "stale.yaml");
        await File.WriteAllTextAsync(stale, await api.KubectlAsync("get", "ds", "housing", "-n", "ml", "-o", "yaml"), Cancellation);

        var patched = await api.KubectlAsync("patch", "ds", "housing", "-n", "ml", "--type", "merge", "-p", """{"spec":{"placement":"Shared"}}""");
        var replaced = await api.TryKubectlAsync("replace", "-f", stale);
        var strategic = await api.TryKubectlAsync("patch", "ds", "housing", "-n", "ml", "-p", """{"spec":{"placement":"Exclusive"}}""");

        Assert.Contains("dataset.data.fluid-aspire.io/housing patched", patched, StringComparison.Ordinal);
        Assert.Equal("Shared", await api.JsonPathAsync("ds/housing", "{.spec.placement}"));
        Assert.Equal("2", await api.JsonPathAsync("ds/housing", "{.metadata.generation}"));
        Assert.NotEqual(0, replaced.ExitCode);
        Assert.Contains(
            "Operation cannot be fulfilled on datasets.data.fluid-aspire.io \"housing\": the object has been modified; please apply your changes to the latest version and try again",
            replaced.Output, StringComparison.Ordinal);
        Assert.NotEqual(0, strategic.ExitCode);
        Assert.Contains("use a merge patch (kubectl patch --type merge)", strategic.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_of_an_object_with_a_finalizer_waits_until_the_finalizer_is_removed()
    {
        await using var api = await WithHousingAsync();
        await api.KubectlAsync("patch", "ds", "housing", "-n", "ml", "--type", "merge", "-p", """{"metadata":{"finalizers":["example.com/hold"]}}""");
        await using var delete = api.StartKubectl("delete", "ds", "housing", "-n", "ml", "--timeout=2m");
        await Eventually.ReturnsAsync(
            () => api.JsonPathAsync("ds/housing", "{.metadata.deletionTimestamp}"),
            stamp => stamp.Length > 0, Eventually.Patience, "the dataset marked for deletion", Cancellation);
        Assert.False(delete.HasExited, $"kubectl delete returned before the finalizer was removed:\n{delete.Output}");

        await api.KubectlAsync("patch", "ds", "housing", "-n", "ml", "--type", "merge", "-p", """{"metadata":{"finalizers":null}}""");

        Assert.Equal(0, await delete.WaitForExitAsync(Eventually.Patience, Cancellation));
        Assert.Contains("\"housing\" deleted", delete.Output, StringComparison.Ordinal);
        var gone = await api.TryKubectlAsync("get", "ds", "housing", "-n", "ml");
        Assert.Contains("Error from server (NotFound): datasets.data.fluid-aspire.io \"housing\" not found", gone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pods_show_their_node_and_status_and_a_bound_running_pod_is_deleted_gracefully()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        var manifest = Path.Combine(api.Directory, "pods.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: v1
            kind: Pod
            metadata: {name: step-a}
            spec:
              nodeName: node-1
              containers: [{name: step, image: busybox, command: ["true"]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: unbound}
            spec:
              containers: [{name: step, image: busybox}]
            """, Cancellation);
        await api.KubectlAsync("apply", "-f", manifest);
        // What a node's agent writes once the step's process runs, and once it has ended.
        const string running = """{"status":{"phase":"Running","podIP":"127.0.0.1","containerStatuses":[{"name":"step","image":"busybox","imageID":"","ready":true,"restartCount":0,"state":{"running":{}}}]}}""";
        const string killed = """{"status":{"phase":"Failed","containerStatuses":[{"name":"step","image":"busybox","imageID":"","ready":false,"restartCount":0,"state":{"terminated":{"exitCode":137,"signal":9}}}]}}""";
        await api.KubectlAsync("patch", "pod", "step-a", "--subresource=status", "--type=merge", "-p", running);

        var wide = await api.KubectlAsync("get", "pods", "-o", "wide");
        // kubectl patches built-in kinds strategically: the container merges by name and keeps its command.
        await api.KubectlAsync("patch", "pod", "step-a", "-p", """{"spec":{"containers":[{"name":"step","image":"busybox:1.36"}]}}""");
        var container = await api.JsonPathAsync("pod/step-a", "{.spec.containers[0].image} {.spec.containers[0].command[0]}", "default");
        var logs = await api.TryKubectlAsync("logs", "step-a");
        var onNode = await api.KubectlAsync("get", "pods", "--field-selector", "spec.nodeName=node-1", "-o", "name");
        await api.KubectlAsync("delete", "pod", "step-a", "unbound", "--wait=false");
        var terminating = await api.KubectlAsync("get", "pods");
        var unbound = await api.TryKubectlAsync("get", "pod", "unbound");
        var grace = await api.JsonPathAsync("pod/step-a", "{.metadata.deletionGracePeriodSeconds}", "default");
        await api.KubectlAsync("patch", "pod", "step-a", "--subresource=status", "--type=merge", "-p", killed);
        var stopped = await api.JsonPathAsync("pod/step-a", "{.status.containerStatuses[0].state.terminated.signal}", "default");
        await api.KubectlAsync("delete", "pod", "step-a", "--grace-period=0", "--force");
        var gone = await api.TryKubectlAsync("get", "pod", "step-a");

        Assert.Matches(@"step-a\s+1/1\s+Running\s+0\s+\S+\s+127\.0\.0\.1\s+node-1\s+<none>", wide);
        Assert.Matches(@"unbound\s+0/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>", wide);
        Assert.Equal("pod/step-a", onNode.Trim());
        Assert.Equal("busybox:1.36 true", container);
        Assert.NotEqual(0, logs.ExitCode);
        Assert.Contains("node node-1, where the pod is bound, does not exist", logs.Output, StringComparison.Ordinal);
        Assert.Matches(@"step-a\s+1/1\s+Terminating", terminating);
        Assert.Contains("pods \"unbound\" not found", unbound.Output, StringComparison.Ordinal);
        Assert.Equal("30", grace);
        Assert.Equal("9", stopped);
        Assert.Contains("pods \"step-a\" not found", gone.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_invalid_example_is_refused_with_its_field_errors_and_nothing_is_stored()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.KubectlAsync("create", "namespace", "ml");
        // A create drops the status (the controller writes it through its subresource), kubectl fills in an empty
        // namespace and cannot send a kind the server does not serve: the examples that break those never reach the
        // server's validation through kubectl create.
        var files = Directory.GetFiles(Path.Combine(Examples, "invalid"), "*.yaml")
            .Where(f => Path.GetFileName(f) is var name && !name.StartsWith("Condition.", StringComparison.Ordinal) &&
                !name.Contains("Status.", StringComparison.Ordinal) && !name.StartsWith("ObjectMeta.namespace.", StringComparison.Ordinal) &&
                name != "Resource.ApiVersionAndKind.yaml")
            .Order(StringComparer.Ordinal).ToArray();
        Assert.True(files.Length > 60, $"only {files.Length} invalid examples were found in {Examples}");

        var result = await api.TryKubectlAsync(["create", .. files.SelectMany(f => new[] { "-f", f })]);

        Assert.NotEqual(0, result.ExitCode);
        foreach (var file in files)
        {
            // Each file says in its first line which rule it breaks; kubectl names the file with the server's refusal.
            Assert.Matches($"Error from server \\((Invalid|BadRequest)\\): error when creating \"{System.Text.RegularExpressions.Regex.Escape(file)}\": .*is invalid|cannot be handled", result.Output);
        }

        var stored = await api.KubectlAsync("get", "fluid", "-A", "-o", "name");
        Assert.Equal("", stored.Trim());
    }

    [Fact]
    public async Task Without_the_token_every_request_is_refused_as_unauthorized()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        await api.KubectlAsync("create", "namespace", "ml");
        using var client = api.CreateClient(authenticated: false);

        using var response = await client.GetAsync(new Uri("/apis/data.fluid-aspire.io/v1alpha1/datasets", UriKind.Relative), Cancellation);
        var version = await client.GetStringAsync(new Uri("/version", UriKind.Relative), Cancellation);

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("\"reason\":\"Unauthorized\"", await response.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        Assert.Contains("\"minor\":\"35\"", version, StringComparison.Ordinal);
        Assert.Equal(
            UnixFileMode.UserRead | UnixFileMode.UserWrite,
            File.GetUnixFileMode(api.KubeconfigPath));
    }

    /// <summary>A server with namespace ml and the example dataset housing in it, applied by kubectl.</summary>
    private static async Task<LocalApi> WithHousingAsync()
    {
        var api = await LocalApi.StartAsync(Cancellation);
        try
        {
            await api.KubectlAsync("create", "namespace", "ml");
            await api.KubectlAsync("apply", "-f", Path.Combine(Examples, "dataset.yaml"));
            return api;
        }
        catch
        {
            await api.DisposeAsync();
            throw;
        }
    }
}

using System.Text.Json;
using System.Text.RegularExpressions;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Fluid.Aspire.Cli.Tests;

/// <summary>The built fluid, run as a user runs it, against a real local stack.</summary>
public sealed partial class CommandTests(StackFixture stack) : IClassFixture<StackFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_datasets_shows_fluids_columns_with_the_values_the_controller_reported()
    {
        var dataset = (await stack.Client.GetDatasetAsync("housing", Cancellation)).Resource;

        var run = await stack.RunAsync("get", "datasets");

        Assert.True(run.ExitCode == 0, run.Output);
        var row = Assert.Single(Columns.Parse(run.Output, "NAME", "UFS TOTAL SIZE", "CACHED", "CACHE CAPACITY", "CACHED PERCENTAGE", "PHASE", "AGE"));
        Assert.Equal("housing", row["NAME"]);
        Assert.Equal(dataset.Status.UfsTotal, row["UFS TOTAL SIZE"]);
        Assert.Equal(dataset.Status.CacheStates!.Cached, row["CACHED"]);
        Assert.Equal("32MiB", row["CACHE CAPACITY"]);
        Assert.Equal(dataset.Status.CacheStates.CachedPercentage, row["CACHED PERCENTAGE"]);
        Assert.Equal(nameof(DatasetPhase.Bound), row["PHASE"]);
        Assert.Matches(AgePattern(), row["AGE"]);
        Assert.DoesNotContain("\u001b[", run.Output, StringComparison.Ordinal);

        var one = await stack.RunAsync("get", "ds", "housing", "-o", "wide");
        var wide = Assert.Single(Columns.Parse(one.Output, "NAME", "UFS TOTAL SIZE", "CACHED", "CACHE CAPACITY", "CACHED PERCENTAGE", "PHASE", "TOTAL FILES", "CACHE HIT RATIO", "AGE"));
        Assert.Equal(dataset.Status.FileNum?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "<none>", wide["TOTAL FILES"]);
        var everywhere = await stack.RunAsync("get", "dataset", "-A");
        Assert.StartsWith("NAMESPACE", everywhere.Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("default ", everywhere.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_runtimes_and_nodes_show_workers_and_the_nodes_locality()
    {
        var (runtimes, nodes) = (stack.RunAsync("get", "runtimes"), stack.RunAsync("get", "nodes"));

        var runtime = Assert.Single(Columns.Parse((await runtimes).Output, "NAME", "DESIRED", "CURRENT", "READY", "PHASE", "AGE"));
        Assert.Equal(["housing", "1", "1", "1", "Ready"], new[] { runtime["NAME"], runtime["DESIRED"], runtime["CURRENT"], runtime["READY"], runtime["PHASE"] });
        var node = Assert.Single(Columns.Parse((await nodes).Output, "NAME", "READY", "ZONE", "REGION", "DAEMONS"));
        Assert.Equal(["node-0", "True", "zone-a", "local", "cacheagent,objectstore"], node.Values);
    }

    [Fact]
    public async Task Get_dataprocesses_lists_each_step_with_its_dataset_node_exit_code_and_run()
    {
        var run = await stack.RunAsync("get", "dataprocesses");

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = Columns.Parse(run.Output, "NAME", "DATASET", "PHASE", "NODE", "DURATION", "EXIT CODE", "RUN", "AGE").ToDictionary(r => r["NAME"]);
        Assert.Equal(["bad-step0", "echo-step0", "r1-step0", "r1-step1"], rows.Keys.Order(StringComparer.Ordinal));
        foreach (var step in new[] { "r1-step0", "r1-step1" })
        {
            Assert.Equal(["housing", "Complete", "node-0", "0", "r1"], new[] { rows[step]["DATASET"], rows[step]["PHASE"], rows[step]["NODE"], rows[step]["EXIT CODE"], rows[step]["RUN"] });
            Assert.Matches(@"^\d+(\.\d+)?(ms|s)$", rows[step]["DURATION"]);
        }

        Assert.Equal(["Failed", "3"], new[] { rows["bad-step0"]["PHASE"], rows["bad-step0"]["EXIT CODE"] });
        var ofRun = await stack.RunAsync("get", "dp", "-l", "fluid.io/run=r1", "-o", "name");
        Assert.Equal(["dataprocess.data.fluid-aspire.io/r1-step0", "dataprocess.data.fluid-aspire.io/r1-step1"], ofRun.Lines);
        var byName = await stack.RunAsync("get", "dp", "echo-step0", "bad-step0", "-o", "name");
        Assert.Equal(["dataprocess.data.fluid-aspire.io/echo-step0", "dataprocess.data.fluid-aspire.io/bad-step0"], byName.Lines);
    }

    [Fact]
    public async Task Describe_dataprocess_explains_its_placement_with_each_nodes_score_and_shows_its_events()
    {
        var run = await stack.RunAsync("describe", "dataprocess", "r1-step1");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(@"(?m)^Name:\s+r1-step1$", run.Output);
        Assert.Matches(@"(?m)^  Run After:\s+DataProcess/r1-step0 \(affinity: Prefer\)$", run.Output);
        Assert.Matches(@"(?m)^  Phase:\s+Complete$", run.Output);
        var scheduling = Section(run.Output, "Scheduling");
        Assert.Matches(@"(?m)^  Node:\s+node-0$", scheduling);
        Assert.Matches(@"(?m)^    Node\s+Score\s+Reasons$", scheduling);
        Assert.Matches(@"(?m)^    node-0\s+100\s+.*previous step.*\+100$", scheduling);
        Assert.Matches(@"(?m)^  Complete\s+True\s+Succeeded\s+(\d+[smhd])+\s+exited with code 0$", Section(run.Output, "Conditions"));
        var events = Section(run.Output, "Events");
        Assert.Matches(@"(?m)^  Type\s+Reason\s+Age\s+From\s+Message$", events);
        Assert.Matches(@"(?m)^  Normal\s+Scheduled\s+(\d+[smhd])+\s+fluid-controller\s+Scheduled on node-0", events);
        Assert.Matches(@"(?m)^  Normal\s+Completed\s+(\d+[smhd])+\s+fluid-controller\s+exited with code 0", events);
    }

    [Fact]
    public async Task Describe_a_failed_step_shows_its_exit_code_and_the_end_of_its_log()
    {
        var run = await stack.RunAsync("describe", "dp", "bad-step0");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(@"(?m)^  Exit Code:\s+3$", run.Output);
        Assert.Contains("the model did not converge", Section(run.Output, "Log Tail"), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  Warning\s+Failed\s+", Section(run.Output, "Events"));
    }

    [Fact]
    public async Task Logs_prints_what_the_step_wrote_and_tail_keeps_the_last_lines()
    {
        var runs = await Task.WhenAll(stack.RunAsync("logs", "echo-step0"), stack.RunAsync("logs", "echo-step0", "--tail", "1"));
        var (all, last) = (runs[0], runs[1]);

        Assert.True(all.ExitCode == 0, all.Output);
        Assert.Equal(["preparing", StackFixture.EchoedLine], all.Lines);
        Assert.Equal([StackFixture.EchoedLine], last.Lines);
    }

    [Fact]
    public async Task Json_and_yaml_print_the_same_fields_for_one_object_and_for_a_list()
    {
        var runs = await Task.WhenAll(
            stack.RunAsync("get", "dp", "r1-step1", "-o", "json"),
            stack.RunAsync("get", "dp", "r1-step1", "-o", "yaml"),
            stack.RunAsync("get", "datasets", "-o", "json"),
            stack.RunAsync("get", "datasets", "-o", "yaml"));
        var (json, yaml, list, yamlList) = (runs[0], runs[1], runs[2], runs[3]);

        using var step = JsonDocument.Parse(json.Output);
        Assert.Equal("DataProcess", step.RootElement.GetProperty("kind").GetString());
        Assert.Equal("r1-step1", step.RootElement.GetProperty("metadata").GetProperty("name").GetString());
        Assert.Equal("r1", step.RootElement.GetProperty("metadata").GetProperty("labels").GetProperty("fluid.io/run").GetString());
        Assert.Equal("Complete", step.RootElement.GetProperty("status").GetProperty("phase").GetString());
        Assert.Equal(0, step.RootElement.GetProperty("status").GetProperty("exitCode").GetInt32());
        Assert.Equal("node-0", step.RootElement.GetProperty("status").GetProperty("scheduling").GetProperty("node").GetString());
        AssertSame(step.RootElement, ParseYaml(yaml.Output), "");

        using var datasets = JsonDocument.Parse(list.Output);
        Assert.Equal("List", datasets.RootElement.GetProperty("kind").GetString());
        Assert.Equal("v1", datasets.RootElement.GetProperty("apiVersion").GetString());
        Assert.Equal("housing", Assert.Single(datasets.RootElement.GetProperty("items").EnumerateArray()).GetProperty("metadata").GetProperty("name").GetString());
        AssertSame(datasets.RootElement, ParseYaml(yamlList.Output), "");
    }

    [Fact]
    public async Task Delete_with_wait_returns_once_the_controller_has_cleaned_the_dataset_up()
    {
        var dataset = await stack.Client.CreateDatasetAsync("scratch", cancellationToken: Cancellation);
        await Eventually.ReturnsAsync(() => dataset.RefreshAsync(Cancellation), d => d.Resource.Metadata.Finalizers.Count > 0, TimeSpan.FromSeconds(30),
            "the controller's finalizer on the dataset", Cancellation);

        var run = await stack.RunAsync("delete", "dataset", "scratch", "--wait", "--timeout", "30s");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Equal(["dataset.data.fluid-aspire.io/scratch deleted"], run.Lines);
        Assert.Null(await stack.Client.Store.GetAsync<Dataset>("scratch", cancellationToken: Cancellation));
        var again = await stack.RunAsync("delete", "ds", "scratch");
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("dataset \"scratch\" not found in namespace \"default\"", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_setting_fluid_finds_the_running_local_stack_and_names_any_other_context_it_uses()
    {
        using var home = new TemporaryDirectory();
        var published = Path.Combine(home.Path, ".fluid", "stack", "kubeconfig");
        var kubectlDefault = Path.Combine(home.Path, ".kube", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(published)!);
        Directory.CreateDirectory(Path.GetDirectoryName(kubectlDefault)!);

        // What the local stack's API server publishes while it runs.
        File.Copy(stack.Cluster.ApiServer.KubeconfigPath, published);
        var local = await StackFixture.RunAtHomeAsync(home.Path, "get", "datasets");
        File.Delete(published);
        File.Copy(stack.Cluster.ApiServer.KubeconfigPath, kubectlDefault);
        var other = await StackFixture.RunAtHomeAsync(home.Path, "get", "datasets");

        Assert.True(local.ExitCode == 0, local.Output);
        Assert.Equal("NAME", local.Lines[0].Split(' ')[0]);
        Assert.StartsWith("housing ", local.Lines[1], StringComparison.Ordinal);
        Assert.True(other.ExitCode == 0, other.Output);
        Assert.Contains($"Using context 'fluid-local' of {kubectlDefault}, as no local stack is running (./run.sh --dashboard starts one).", other.Lines);
        Assert.Contains(other.Lines, line => line.StartsWith("housing ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_or_missing_kind_is_a_usage_error_that_lists_the_known_kinds()
    {
        var runs = await Task.WhenAll(stack.RunAsync("get", "pods"), stack.RunAsync("get"), stack.RunAsync("describe"));

        Assert.Equal([2, 2, 2], runs.Select(r => r.ExitCode));
        Assert.StartsWith("error: 'pods' is not a kind fluid knows; use one of: dataset (datasets, ds); runtime", runs[0].Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("error: Say what to list: one of dataset (datasets, ds); runtime", runs[1].Lines[0], StringComparison.Ordinal);
        Assert.EndsWith("e.g. fluid get datasets.", runs[1].Lines[0], StringComparison.Ordinal);
        Assert.StartsWith("error: Say what to describe: one of dataset", runs[2].Lines[0], StringComparison.Ordinal);
        foreach (var kind in new[] { "dataprocess", "node", "event" })
        {
            Assert.Contains(kind, runs[0].Lines[0], StringComparison.Ordinal);
            Assert.Contains(kind, runs[1].Lines[0], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_command_line_that_does_not_parse_exits_with_2_and_points_to_the_help()
    {
        var runs = await Task.WhenAll(
            stack.RunAsync("get", "datasets", "--bogus"), stack.RunAsync("get", "datasets", "-o", "xml"), stack.RunAsync("delete", "dataset"),
            stack.RunAsync("logs", "echo", "--tail", "x"), stack.RunAsync("logs", "echo", "--tail", "0"));
        var (option, format, noName, word, zero) = (runs[0], runs[1], runs[2], runs[3], runs[4]);

        Assert.Equal([2, 2, 2, 2, 2], new[] { option.ExitCode, format.ExitCode, noName.ExitCode, word.ExitCode, zero.ExitCode });
        Assert.Equal(["error: --tail x is not a number of lines; give a whole number of at least 1, e.g. --tail 20.", "See 'fluid logs --help' for usage."], word.Lines);
        Assert.Equal("error: --tail 0 is not a number of lines; give a whole number of at least 1, e.g. --tail 20.", zero.Lines[0]);
        Assert.Contains("--bogus", option.Output, StringComparison.Ordinal);
        Assert.Equal(["error: -o xml is not an output format; use one of json, yaml, wide, name.", "See 'fluid get --help' for usage."], format.Lines);
        Assert.Contains("See 'fluid delete --help' for usage.", noName.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_object_says_which_namespace_was_searched_and_how_to_list_it()
    {
        var runs = await Task.WhenAll(stack.RunAsync("get", "dataset", "nope", "-n", "team-a"), stack.RunAsync("describe", "dp", "nope"));
        var (get, describe) = (runs[0], runs[1]);

        Assert.Equal(1, get.ExitCode);
        Assert.Equal(
            ["error: dataset \"nope\" not found in namespace \"team-a\"; list them with: fluid get datasets -n team-a (or -A for every namespace)"],
            get.Lines);
        Assert.Equal(1, describe.ExitCode);
        Assert.Contains("dataprocess \"nope\" not found in namespace \"default\"; list them with: fluid get dataprocesses -n default", describe.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_api_is_one_line_naming_it_with_the_hint_to_start_the_stack()
    {
        var port = FreePort.Next();
        using var directory = new TemporaryDirectory();
        var kubeconfig = Path.Combine(directory.Path, "kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: gone
            clusters:
            - name: gone
              cluster:
                server: https://127.0.0.1:{port}
                insecure-skip-tls-verify: true
            users:
            - name: gone
              user:
                token: not-a-secret
            contexts:
            - name: gone
              context:
                cluster: gone
                user: gone
            """, TestContext.Current.CancellationToken);

        var run = await StackFixture.RunWithAsync("get", "datasets", "--kubeconfig", kubeconfig);
        var none = await StackFixture.RunWithAsync("get", "datasets", "--kubeconfig", Path.Combine(directory.Path, "missing"));
        var context = await StackFixture.RunWithAsync("get", "datasets", "--kubeconfig", kubeconfig, "--context", "nope");

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Lines);
        Assert.StartsWith($"error: cannot reach the Kubernetes API at https://127.0.0.1:{port} (", line, StringComparison.Ordinal);
        Assert.EndsWith("Is the stack running? Start it with ./run.sh --dashboard, or point --kubeconfig at it.", line, StringComparison.Ordinal);
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith($"error: There is no kubeconfig at '{Path.Combine(directory.Path, "missing")}'. Start the local stack with ./run.sh --dashboard", Assert.Single(none.Lines), StringComparison.Ordinal);
        Assert.Equal(1, context.ExitCode);
        Assert.StartsWith("error: Cannot use context 'nope' of kubeconfig", Assert.Single(context.Lines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logs_come_from_the_Kubernetes_API_alone_and_a_missing_step_is_named()
    {
        var runs = await Task.WhenAll(
            stack.RunAsync("logs", "echo-step0", "--connection", stack.Cluster.ServiceConnectionString), stack.RunAsync("logs", "nope"));
        var (apiOnly, missing) = (runs[0], runs[1]);

        Assert.True(apiOnly.ExitCode == 0, apiOnly.Output);
        Assert.Equal(["preparing", StackFixture.EchoedLine], apiOnly.Lines);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("dataprocess \"nope\" not found", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_events_lists_what_happened_oldest_first()
    {
        var run = await stack.RunAsync("get", "events");

        Assert.True(run.ExitCode == 0, run.Output);
        var rows = Columns.Parse(run.Output, "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
        Assert.Contains(rows, r => r["OBJECT"] == "dataset/housing" && r["REASON"] == "Bound" && r["TYPE"] == "Normal");
        Assert.Contains(rows, r => r["OBJECT"] == "dataprocess/bad-step0" && r["REASON"] == "Failed" && r["TYPE"] == "Warning");
        var order = rows.Select(r => r["OBJECT"]).ToList();
        Assert.True(order.IndexOf("dataset/housing") < order.IndexOf("dataprocess/bad-step0"), run.Output);
    }

    /// <summary>The lines of a top-level section of a description, up to the next one.</summary>
    private static string Section(string description, string title)
    {
        var match = Regex.Match(description, $@"(?ms)^{Regex.Escape(title)}:\n(.*?)(?=^\S|\z)");
        Assert.True(match.Success, $"No section {title} in:\n{description}");
        return match.Groups[1].Value;
    }

    private static YamlNode ParseYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents[0].RootNode;
    }

    /// <summary>The YAML holds the JSON's every key, in the same order, with the same scalar values and types.</summary>
    private static void AssertSame(JsonElement json, YamlNode yaml, string path)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                var map = Assert.IsType<YamlMappingNode>(yaml);
                Assert.Equal(json.EnumerateObject().Select(p => p.Name), map.Children.Keys.Select(k => ((YamlScalarNode)k).Value));
                foreach (var property in json.EnumerateObject())
                {
                    AssertSame(property.Value, map.Children[new YamlScalarNode(property.Name)], $"{path}.{property.Name}");
                }

                break;
            case JsonValueKind.Array:
                var list = Assert.IsType<YamlSequenceNode>(yaml);
                Assert.Equal(json.GetArrayLength(), list.Children.Count);
                for (var i = 0; i < list.Children.Count; i++)
                {
                    AssertSame(json[i], list.Children[i], $"{path}[{i}]");
                }

                break;
            default:
                var scalar = Assert.IsType<YamlScalarNode>(yaml);
                var expected = json.ValueKind == JsonValueKind.String ? json.GetString() : json.GetRawText();
                Assert.True(expected == scalar.Value, $"{path}: JSON {json.GetRawText()}, YAML {scalar.Value}");
                // A string must read back as a string: quoted when its plain form would be a number, boolean or null.
                var quoted = scalar.Style is YamlDotNet.Core.ScalarStyle.DoubleQuoted or YamlDotNet.Core.ScalarStyle.SingleQuoted;
                if (json.ValueKind == JsonValueKind.String && LooksTyped().IsMatch(expected!))
                {
                    Assert.True(quoted, $"{path}: the string {expected} is not quoted in the YAML");
                }
                else if (json.ValueKind != JsonValueKind.String)
                {
                    Assert.False(quoted, $"{path}: the {json.ValueKind} {expected} is quoted in the YAML");
                }

                break;
        }
    }

    [GeneratedRegex(@"^(\d+|true|false|null|\d{4}-\d\d-\d\d.*)$")]
    private static partial Regex LooksTyped();

    [GeneratedRegex(@"^\d+(s|m\d*s?)$")]
    private static partial Regex AgePattern();
}

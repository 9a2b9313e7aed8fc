using System.Diagnostics;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary><c>aspire deploy</c>'s step without a reachable cluster: it fails fast and names what it tried.</summary>
public sealed class DeployTests
{
    [Fact]
    public async Task Deploy_to_a_cluster_that_does_not_answer_fails_within_30_seconds_naming_the_kubeconfig_and_the_context()
    {
        using var directory = new TemporaryDirectory();
        var kubeconfig = directory.CreateFile("kubeconfig");
        // A port on loopback that nothing listens on: bound and released, as the other tests find free ports.
        var port = FreePort.Next();
        File.WriteAllText(kubeconfig,
            $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: closed
              cluster:
                server: https://127.0.0.1:{port}
                insecure-skip-tls-verify: true
            contexts:
            - name: nowhere
              context: {"{"}cluster: closed, user: someone{"}"}
            - name: elsewhere
              context: {"{"}cluster: closed, user: someone{"}"}
            current-context: elsewhere
            users:
            - name: someone
              user: {"{"}token: not-a-secret{"}"}
            """);

        var clock = Stopwatch.StartNew();
        await using var deploy = await PublishedApp.PublishAsync(Path.Combine(directory.Path, "out"), nodes: 1, step: "deploy",
            new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig, ["Fluid__Kubernetes__Context"] = "nowhere" });
        clock.Stop();

        Assert.True(deploy.ExitCode != 0, $"Deploying to a closed port succeeded:\n{deploy.Output}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"Deploying took {clock.Elapsed.TotalSeconds:0.0} s to fail.");
        Assert.Contains($"context 'nowhere' of kubeconfig '{kubeconfig}'", deploy.Output, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{port}", deploy.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-secret", deploy.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deploy_with_a_context_the_kubeconfig_lacks_names_the_context_and_how_to_list_them()
    {
        using var directory = new TemporaryDirectory();
        var kubeconfig = directory.CreateFile("kubeconfig");
        File.WriteAllText(kubeconfig,
            """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            contexts: [{name: only, context: {cluster: c, user: u}}]
            current-context: only
            users: [{name: u, user: {token: t}}]
            """);

        await using var deploy = await PublishedApp.PublishAsync(Path.Combine(directory.Path, "out"), nodes: 1, step: "deploy",
            new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig, ["Fluid__Kubernetes__Context"] = "missing" });

        Assert.True(deploy.ExitCode != 0, deploy.Output);
        Assert.Contains("context 'missing'", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("kubectl config get-contexts", deploy.Output, StringComparison.Ordinal);
    }
}

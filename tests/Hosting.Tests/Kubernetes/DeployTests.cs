using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
        // A port on loopback that refuses connections: bound for the whole test, so nothing else can take it, and never listened on.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)closed.LocalEndPoint!).Port;
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

        await using var deploy = PublishedApp.StartPipeline(Path.Combine(directory.Path, "out"), nodes: 1, step: "deploy",
            new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig, ["Fluid__Kubernetes__Context"] = "nowhere" });
        // Timed from the pipeline's start, so that a slow start of the AppHost on a busy machine does not count.
        await deploy.WaitForOutputAsync("Initializing deployment", TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        await deploy.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        clock.Stop();

        Assert.True(deploy.ExitCode != 0, $"Deploying to a closed port succeeded:\n{deploy.Output}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"The deploy step took {clock.Elapsed.TotalSeconds:0.0} s to fail.");
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

        await using var deploy = PublishedApp.StartPipeline(Path.Combine(directory.Path, "out"), nodes: 1, step: "deploy",
            new Dictionary<string, string?> { ["KUBECONFIG"] = kubeconfig, ["Fluid__Kubernetes__Context"] = "missing" });
        await deploy.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

        Assert.True(deploy.ExitCode != 0, deploy.Output);
        Assert.Contains("context 'missing'", deploy.Output, StringComparison.Ordinal);
        Assert.Contains("kubectl config get-contexts", deploy.Output, StringComparison.Ordinal);
    }
}

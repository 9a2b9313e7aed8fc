using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The AppHost as <c>./run.sh --dashboard</c> runs it: its kubeconfig lets the real kubectl see the sample's kept run.</summary>
public sealed class KubectlOnTheStackTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Kubectl_with_the_stacks_kubeconfig_shows_the_run_the_sample_kept()
    {
        var kubectl = KubernetesTools.Kubectl;
        EtcdServer.RequireBinary();
        using var state = new TemporaryDirectory();
        var kubeconfig = Path.Combine(state.Path, "kubeconfig");
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fluid_Aspire_AppHost>(
            ["--Fluid:Nodes=2", $"--Fluid:StateDirectory={state.Path}", $"--Fluid:SocketDirectory={Path.Combine(state.Path, "sockets")}",
                "--Fluid:ObjectStoreMemory=256Mi", $"--Fluid:Kubeconfig={kubeconfig}",
                "--Fluid:SampleArgs:0=--rows", "--Fluid:SampleArgs:1=20000", "--Fluid:SampleArgs:2=--run-id", "--Fluid:SampleArgs:3=kept"],
            Cancellation);
        await using var app = await builder.BuildAsync(Cancellation);
        await app.StartAsync(Cancellation);

        var finished = await app.ResourceNotifications.WaitForResourceAsync(
                "linear-regression", e => e.Snapshot.State?.Text == KnownResourceStates.Finished, Cancellation)
            .WaitAsync(RunTimeout, Cancellation);
        var fluid = await KubernetesTools.RunAsync(kubectl, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(state.Path, "cache"),
            "get", "datasets,dataprocesses");
        var steps = await KubernetesTools.RunAsync(kubectl, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(state.Path, "cache"),
            "get", "dp", "-l", "fluid.io/run=kept", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.phase}{\"\\n\"}{end}");
        var pods = await KubernetesTools.RunAsync(kubectl, "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(state.Path, "cache"),
            "get", "pods", "-o", "wide", "-l", "fluid.io/run=kept", "--no-headers");

        Assert.Equal(0, finished.Snapshot.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(kubeconfig));
        Assert.Matches(@"dataset\.data\.fluid-aspire\.io/kept\s+\S+.*Bound", fluid);
        Assert.Equal(["kept-step0=Complete", "kept-step1=Complete", "kept-step2=Complete"],
            steps.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        // Each step ran as a pod on a simulated node, as the README shows it: name, ready, status, restarts, age, IP, node.
        var rows = pods.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.All(rows, row => Assert.Matches(@"^kept-step[0-2]-1-[0-9a-f]{5}$", row[0]));
        Assert.All(rows, row => Assert.Equal(("0/1", "Completed", "127.0.0.1"), (row[1], row[2], row[5])));
        Assert.All(rows, row => Assert.Matches("^node-[01]$", row[6]));
    }
}

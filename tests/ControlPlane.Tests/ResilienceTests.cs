using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.TestSupport;
using Fluid.Sdk;
using k8s;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>The controller dies and comes back; two controllers run at once: the flow goes on, and nothing runs twice.</summary>
public sealed class ResilienceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_controller_killed_mid_flow_and_restarted_finishes_it_without_rerunning_completed_steps()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var starts = Path.Combine(data.Path, "second-started.txt");
        var dataset = await client.CreateDatasetAsync("restart", $"local://{data.Path}", cancellationToken: Cancellation);
        var run = await dataset.Process(Flows.Step("first", trace))
            .Process(Flows.Step("second", trace, $"echo started >> '{starts}'; sleep 4"))
            .Process(Flows.Step("third", trace))
            .RunAsync("r", Cancellation);
        // Executing is written just before the process starts; only once the step has written its mark is there a
        // process to re-attach to (a controller killed in between runs the attempt again, which is right but another test).
        await Eventually.ReturnsAsync(() => File.Exists(starts), started => started, Patience, "the second step running",
            Cancellation);

        cluster.Controller.Kill();
        await cluster.StartControllerAsync(Cancellation);

        IReadOnlyList<StepReport> reports;
        try
        {
            reports = await run.WaitAsync(Patience, Cancellation);
        }
        catch (TimeoutException ex)
        {
            // What the restarted controller did is what explains a stalled flow.
            throw new TimeoutException($"{ex.Message}\nThe restarted controller's output:\n{cluster.Controller.Output}", ex);
        }

        Assert.All(reports, r => Assert.Equal(OperationPhase.Complete, r.Phase));
        Assert.Equal(["first", "second", "third"], await File.ReadAllLinesAsync(trace, Cancellation));
        Assert.Equal(["started"], await File.ReadAllLinesAsync(starts, Cancellation));
        // The controller's console logger writes from a queue of its own, and its output reaches the test through a
        // pipe: the line may follow the status it comes before.
        await cluster.Controller.WaitForOutputAsync("Re-attached to", Patience, Cancellation);
    }

    [Fact]
    public async Task Deleting_the_pod_of_a_running_step_stops_its_processes_and_the_step_runs_again()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var starts = Path.Combine(data.Path, "starts.txt");
        var dataset = await client.CreateDatasetAsync("deleted", $"local://{data.Path}", cancellationToken: Cancellation);
        // The first attempt leaves a child in its process group and waits; the next one ends at once.
        var run = await dataset.Process(Flows.Step("only", trace,
                $"echo \"$FLUID_ATTEMPT $$\" >> '{starts}'; if [ \"$FLUID_ATTEMPT\" = 1 ]; then sleep 60 & echo \"child $!\" >> '{starts}'; wait; fi"))
            .RunAsync("del", Cancellation);
        var first = await Eventually.ReturnsAsync(async () => File.Exists(starts) ? await File.ReadAllLinesAsync(starts, Cancellation) : [],
            lines => lines.Length == 2, Patience, "the first attempt and its child running", Cancellation);
        var pids = first.Select(l => int.Parse(l.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var pod = Assert.Single((await client.Kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: "fluid.io/run=del", cancellationToken: Cancellation)).Items);

        await client.Kubernetes.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: Cancellation);
        var reports = await run.WaitAsync(Patience, Cancellation);

        Assert.Equal(OperationPhase.Complete, Assert.Single(reports).Phase);
        Assert.Equal("2", (await File.ReadAllLinesAsync(starts, Cancellation))[^1].Split(' ')[0]);
        await Eventually.ReturnsAsync(() => pids.Where(pid => IsRunning(pid)).ToArray(), running => running.Length == 0, Patience,
            "the first attempt's shell and child stopped", Cancellation);
        await Eventually.EventsAsync(client.Kubernetes, "del-step0",
            events => events.Any(e => e.Reason == "Lost" && e.Message.Contains($"its pod {pod.Metadata.Name} was deleted before it ended", StringComparison.Ordinal)),
            "a Lost event naming the pod", Cancellation);
    }

    /// <summary>Whether the process exists and has not ended (a zombie has ended; its parent has yet to reap it).</summary>
    private static bool IsRunning(int pid) =>
        File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';

    [Fact]
    public async Task A_step_whose_node_dies_is_lost_and_runs_again_on_another_node()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation,
            controllerSettings: new Dictionary<string, string> { ["Fluid__StepPods__NodeLostSeconds"] = "2" });
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var starts = Path.Combine(data.Path, "starts.txt");
        var dataset = await client.CreateDatasetAsync("orphan", $"local://{data.Path}", cancellationToken: Cancellation);
        // The first attempt outlives its node's daemons (a step outlives its kubelet); the next one ends at once.
        var run = await dataset.Process(Flows.Step("only", trace, $"echo \"$FLUID_ATTEMPT $FLUID_NODE\" >> '{starts}'; if [ \"$FLUID_ATTEMPT\" = 1 ]; then sleep 20; fi"))
            .RunAsync("lost", Cancellation);
        var first = await Eventually.ReturnsAsync(async () => File.Exists(starts) ? await File.ReadAllLinesAsync(starts, Cancellation) : [],
            lines => lines.Length == 1, Patience, "the first attempt running", Cancellation);
        var doomed = int.Parse(first[0].Split(' ')[1]["node-".Length..], System.Globalization.CultureInfo.InvariantCulture);

        cluster.CacheAgents[doomed].Kill();
        cluster.ObjectStores[doomed].Process.Kill();
        var reports = await run.WaitAsync(Patience, Cancellation);

        var attempts = await File.ReadAllLinesAsync(starts, Cancellation);
        Assert.Equal(OperationPhase.Complete, Assert.Single(reports).Phase);
        Assert.Equal(2, attempts.Length);
        Assert.Equal($"2 node-{1 - doomed}", attempts[1]);
        await Eventually.EventsAsync(client.Kubernetes, "lost-step0",
            events => events.Any(e => e.Reason == "Lost" && e.Message.Contains($"node node-{doomed} has not been ready", StringComparison.Ordinal)),
            "a Lost event naming the node", Cancellation);
    }

    [Fact]
    public async Task Of_two_controllers_one_leads_and_the_other_takes_over_when_it_dies()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        var secondPort = FreePort.Next();
        var second = await cluster.StartControllerAsync(Cancellation, secondPort);

        await Eventually.ReturnsAsync(async () => (await LocalCluster.IsLeaderAsync(cluster.ControllerPort, Cancellation), await LocalCluster.IsLeaderAsync(secondPort, Cancellation)),
            leaders => leaders.Item1 ^ leaders.Item2, Patience, "exactly one leader", Cancellation);
        var firstLeads = await LocalCluster.IsLeaderAsync(cluster.ControllerPort, Cancellation);
        Assert.True(firstLeads, "the controller that started first leads");

        cluster.Controller.Kill();

        await Eventually.ReturnsAsync(() => LocalCluster.IsLeaderAsync(secondPort, Cancellation), leads => leads, Patience,
            "the second controller leading once the first is gone", Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var dataset = await client.CreateDatasetAsync("failover", $"local://{data.Path}", cancellationToken: Cancellation);
        await (await dataset.Process(Flows.Step("after-failover", trace)).RunAsync("f", Cancellation)).WaitAsync(Patience, Cancellation);
        Assert.Equal(["after-failover"], await File.ReadAllLinesAsync(trace, Cancellation));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task A_leader_killed_mid_flow_hands_over_through_its_lease_and_no_step_is_launched_twice()
    {
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        var secondPort = FreePort.Next();
        await cluster.StartControllerAsync(Cancellation, secondPort);
        await Eventually.ReturnsAsync(() => LocalCluster.IsLeaderAsync(cluster.ControllerPort, Cancellation), leads => leads, Patience,
            "the first controller leading", Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        var trace = Path.Combine(data.Path, "trace.txt");
        var starts = Path.Combine(data.Path, "starts.txt");
        var dataset = await client.CreateDatasetAsync("handover", $"local://{data.Path}", cancellationToken: Cancellation);
        var run = await dataset.Process(Flows.Step("first", trace, $"echo first >> '{starts}'"))
            .Process(Flows.Step("second", trace, $"echo second >> '{starts}'; sleep 4"))
            .Process(Flows.Step("third", trace, $"echo third >> '{starts}'"))
            .RunAsync("h", Cancellation);
        await Eventually.ReturnsAsync(() => File.Exists(starts) && File.ReadAllLines(starts).Contains("second"), started => started, Patience,
            "the second step running", Cancellation);

        // SIGKILL: the leader gives nothing up; the other controller takes the Lease once it expires.
        cluster.Controller.Kill();

        var reports = await run.WaitAsync(Patience, Cancellation);
        Assert.All(reports, r => Assert.Equal(OperationPhase.Complete, r.Phase));
        Assert.True(await LocalCluster.IsLeaderAsync(secondPort, Cancellation), "the second controller leads");
        Assert.Equal(["first", "second", "third"], await File.ReadAllLinesAsync(starts, Cancellation));
        Assert.Equal(["first", "second", "third"], await File.ReadAllLinesAsync(trace, Cancellation));
    }
}

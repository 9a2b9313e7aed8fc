using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ApiServer.Tests;

/// <summary>
/// A simulated node's kubelet (its cache agent) against the local API, driven with the real kubectl: pods bound to the
/// node run as processes of this machine, their status and log show as a cluster's do, and a deleted pod's process
/// group is stopped.
/// </summary>
public sealed class KubeletTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pods_bound_to_a_simulated_node_run_there_and_kubectl_shows_their_end_and_log()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        using var logs = new TemporaryDirectory();
        await using var node = await StartNodeAsync(api, logs.Path);

        var pidFile = Path.Combine(logs.Path, "sleeper.pid");
        var manifest = Path.Combine(api.Directory, "pods.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: v1
            kind: Pod
            metadata: {name: hello}
            spec:
              nodeName: node-0
              containers:
              - name: step
                command: [sh, -c, 'echo "hello from $POD on $NODE in $(pwd)"; echo warning >&2']
                env:
                - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: fails}
            spec:
              nodeName: node-0
              containers: [{name: step, command: [sh, -c, 'echo failing; echo with code 3; exit 3']}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: killed}
            spec:
              nodeName: node-0
              containers: [{name: step, command: [sh, -c, 'kill -9 $$']}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: late}
            spec:
              nodeName: node-0
              activeDeadlineSeconds: 1
              containers: [{name: step, command: [sleep, "60"]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: image}
            spec:
              nodeName: node-0
              containers: [{name: step, image: busybox, command: ["true"]}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: sleeper}
            spec:
              nodeName: node-0
              containers: [{name: step, command: [sh, -c, 'echo $$ > PIDFILE; sleep 300 & wait']}]
            """.Replace("PIDFILE", pidFile, StringComparison.Ordinal), Cancellation);
        await api.KubectlAsync("apply", "-f", manifest);
        foreach (var (pod, phase) in new[] { ("hello", "Succeeded"), ("fails", "Failed"), ("killed", "Failed"), ("late", "Failed"), ("image", "Failed"), ("sleeper", "Running") })
        {
            await api.KubectlAsync("wait", $"pod/{pod}", $"--for=jsonpath={{.status.phase}}={phase}", "--timeout=60s");
        }

        var hello = await api.KubectlAsync("logs", "hello");
        var tail = await api.KubectlAsync("logs", "fails", "--tail=1", "--timestamps");
        var fails = await api.JsonPathAsync("pod/fails", "{.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}", "default");
        var killed = await api.JsonPathAsync("pod/killed", "{.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.signal}", "default");
        var late = await api.JsonPathAsync("pod/late", "{.status.reason}", "default");
        var image = await api.JsonPathAsync("pod/image", "{.status.message}", "default");
        var table = await api.KubectlAsync("get", "pods", "-o", "wide");
        var sleeper = int.Parse(await File.ReadAllTextAsync(pidFile, Cancellation), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{sleeper}"), "the sleeper's shell runs while its pod does");

        // kubectl delete waits until the pod is gone: the kubelet removes it once its process group has ended.
        await api.KubectlAsync("delete", "pod", "sleeper", "--timeout=60s");
        var sleeperLog = await api.TryKubectlAsync("logs", "sleeper");

        // stdout and stderr are read by two readers: their lines keep each stream's order, not always each other's.
        Assert.Equal(["", "hello from hello on node-0 in " + Path.Combine(logs.Path, "default", "hello.work"), "warning"], hello.Split('\n').Order(StringComparer.Ordinal));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z with code 3\n$", tail);
        Assert.Equal("3 Error", fails);
        Assert.Equal("137 9", killed);
        Assert.Equal("DeadlineExceeded", late);
        Assert.Contains("not images", image, StringComparison.Ordinal);
        Assert.Matches(@"hello\s+0/1\s+Completed\s+0\s+\S+\s+127\.0\.0\.1\s+node-0", table);
        Assert.Matches(@"fails\s+0/1\s+Error\s+0", table);
        Assert.Matches(@"sleeper\s+1/1\s+Running\s+0", table);
        Assert.False(Directory.Exists($"/proc/{sleeper}"), "the sleeper's process group is stopped when its pod is deleted");
        Assert.Contains("pods \"sleeper\" not found", sleeperLog.Output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(logs.Path, "default", "sleeper.log")), "a deleted pod's log is removed with it");
    }

    [Fact]
    public async Task A_pod_that_runs_while_its_kubelet_restarts_is_reattached_and_not_started_twice()
    {
        await using var api = await LocalApi.StartAsync(Cancellation);
        using var logs = new TemporaryDirectory();
        var node = await StartNodeAsync(api, logs.Path);
        var starts = Path.Combine(logs.Path, "starts");
        var go = Path.Combine(logs.Path, "go");
        var manifest = Path.Combine(api.Directory, "pod.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: v1
            kind: Pod
            metadata: {name: long}
            spec:
              nodeName: node-0
              containers: [{name: step, command: [sh, -c, 'echo started >> STARTS; while [ ! -e GO ]; do sleep 0.1; done; echo done']}]
            """.Replace("STARTS", starts, StringComparison.Ordinal).Replace("GO", go, StringComparison.Ordinal), Cancellation);
        await api.KubectlAsync("apply", "-f", manifest);
        await api.KubectlAsync("wait", "pod/long", "--for=jsonpath={.status.phase}=Running", "--timeout=60s");

        node.Kill();
        await node.DisposeAsync();
        node = await StartNodeAsync(api, logs.Path);
        await using var follow = api.StartKubectl("logs", "-f", "long");
        await File.WriteAllTextAsync(go, "", Cancellation);
        await api.KubectlAsync("wait", "pod/long", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
        var log = await api.KubectlAsync("logs", "long");
        // A followed log ends with the pod's process.
        var followed = await follow.WaitForExitAsync(Patience, Cancellation);
        await node.DisposeAsync();

        Assert.Equal(["started"], await File.ReadAllLinesAsync(starts, Cancellation));
        Assert.Equal("done\n", log);
        Assert.Equal(0, followed);
        Assert.Equal("done\n", follow.Output);
    }

    private static async Task<ChildProcess> StartNodeAsync(LocalApi api, string logs)
    {
        var node = api.StartNode("node-0", logs);
        await node.WaitForOutputAsync("Running the pods bound to node node-0", Patience, Cancellation);
        return node;
    }
}

using System.Threading.Channels;
using Fluid.Aspire.Cluster.Membership;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Controller.Nodes;

/// <summary>
/// Writes the Ready condition of the Nodes no kubelet keeps (labelled <see cref="NodeLabels.Simulated"/>) from their
/// daemons' leases, so that <c>kubectl get nodes</c> shows on a laptop what the scheduler sees. Runs while leading.
/// </summary>
public sealed class SimulatedNodeStatus(k8s.Kubernetes kubernetes, NodeDirectory nodes, TimeProvider clock, ILogger<SimulatedNodeStatus> logger)
{
    public async Task RunAsync(CancellationToken leading)
    {
        // A channel rather than a semaphore: the directory may still signal once this term is over, and a completed
        // channel takes that quietly where a disposed semaphore would throw into the directory's loop.
        var changed = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        void OnChanged() => changed.Writer.TryWrite(true);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        nodes.Changed += OnChanged;
        changed.Writer.TryWrite(true);
        try
        {
            while (await changed.Reader.WaitToReadAsync(leading))
            {
                changed.Reader.TryRead(out _);
                foreach (var node in nodes.Nodes.Where(n => n.Labels.GetValueOrDefault(NodeLabels.Simulated) == "true"))
                {
                    var message = node.Ready
                        ? $"daemons running: {string.Join(", ", node.Members.Select(m => m.Component))}"
                        : $"no live lease of: {string.Join(", ", node.Missing)}";
                    if (written.GetValueOrDefault(node.Name) != message && await TryWriteAsync(node, message, leading))
                    {
                        written[node.Name] = message;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            // No longer leading.
        }
        finally
        {
            nodes.Changed -= OnChanged;
            changed.Writer.TryComplete();
        }
    }

    private async Task<bool> TryWriteAsync(ClusterNode node, string message, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var condition = new V1NodeCondition
        {
            Type = "Ready",
            Status = node.Ready ? "True" : "False",
            Reason = node.Ready ? "FluidDaemonsRunning" : "FluidDaemonsMissing",
            Message = message,
            LastHeartbeatTime = now,
            LastTransitionTime = now,
        };
        try
        {
            await kubernetes.CoreV1.PatchNodeStatusAsync(
                new V1Patch(new { status = new { conditions = new[] { condition } } }, V1Patch.PatchType.MergePatch), node.Name, cancellationToken: cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or HttpRequestException)
        {
            // The next change of the node tries again.
            logger.LogWarning("Could not write the Ready condition of Node {Node} ({Reason}).", node.Name, ex.Message);
            return false;
        }
    }
}

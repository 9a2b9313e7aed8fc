using System.Globalization;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;
using k8s.Models;

namespace Fluid.Sdk;

/// <summary>
/// Runs a failed step again: it and the steps of its run after it that failed because it did are replaced by new
/// steps of the same names and specs, which the controller runs as it ran the first ones.
/// </summary>
internal static class StepRerun
{
    private static readonly TimeSpan DeletionWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public static async Task<FlowRun> RunAsync(FluidClient client, string stepName, string namespaceName, CancellationToken cancellationToken)
    {
        var store = client.Store;
        var step = await store.GetAsync<DataProcess>(stepName, namespaceName, cancellationToken)
            ?? throw new InvalidOperationException($"There is no step {namespaceName}/{stepName}; list the steps with: fluid get dataprocesses -n {namespaceName}");
        if (step.Status?.Phase != OperationPhase.Failed)
        {
            throw new InvalidOperationException(
                $"Step {stepName} is {step.Status?.Phase?.ToString() ?? nameof(OperationPhase.Pending)}; only a failed step runs again.");
        }

        var runId = step.Metadata.Labels.TryGetValue(FlowLabels.Run, out var run) ? run : stepName;
        var steps = step.Metadata.Labels.ContainsKey(FlowLabels.Run)
            ? (await store.ListAsync<DataProcess>(namespaceName, new Dictionary<string, string> { [FlowLabels.Run] = runId }, cancellationToken)).Items
                .OrderBy(PositionOf).ToList()
            : [step];
        var again = steps.Where(s => s.Metadata.Name == stepName || (PositionOf(s) > PositionOf(step) && s.Status?.Phase == OperationPhase.Failed)).ToList();

        foreach (var old in again)
        {
            await store.DeleteAsync<DataProcess>(old.Metadata.Name, namespaceName, cancellationToken);
        }

        var (span, traceParent) = FluidTracing.StartRun(runId, step.Spec.Dataset?.Name, again.Count);
        span?.SetTag("fluid.rerun", stepName);
        foreach (var old in again)
        {
            await WaitGoneAsync(store, old, cancellationToken);
            await store.CreateAsync(Fresh(old, traceParent), cancellationToken);
        }

        return new FlowRun(client, namespaceName, runId, [.. steps.Select(s => s.Metadata.Name)], span);
    }

    private static int PositionOf(DataProcess step) =>
        step.Metadata.Labels.TryGetValue(FlowLabels.FlowStep, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : 0;

    private static async Task WaitGoneAsync(IResourceStore store, DataProcess step, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DeletionWait);
        try
        {
            while (await store.GetAsync<DataProcess>(step.Metadata.Name, step.Metadata.NamespaceProperty, timeout.Token) is not null)
            {
                await Task.Delay(PollInterval, timeout.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Step {step.Metadata.Name} was not gone {DeletionWait.TotalSeconds:0} s after its deletion; is the controller running?");
        }
    }

    /// <summary>The step as it was created (name, labels, annotations, owner, spec), in a new trace, without what the server and the controller added.</summary>
    private static DataProcess Fresh(DataProcess old, string traceParent) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = old.Metadata.Name,
            NamespaceProperty = old.Metadata.NamespaceProperty,
            Labels = old.Metadata.Labels,
            Annotations = new Dictionary<string, string>(old.Metadata.Annotations) { [FlowLabels.TraceParentAnnotation] = traceParent },
            OwnerReferences = old.Metadata.OwnerReferences,
        },
        Spec = old.Spec,
    };
}

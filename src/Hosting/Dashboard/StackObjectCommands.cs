using System.Globalization;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;
using k8s.Models;

namespace Fluid.Aspire.Hosting.Dashboard;

/// <summary>The dashboard's commands on the stack's objects: delete a dataset (and with it its runtime and steps), run a failed step again.</summary>
internal static class StackObjectCommands
{
    private static readonly TimeSpan DeletionWait = TimeSpan.FromSeconds(30);

    public static void Add(StackObject shown, StackObjectMirror mirror)
    {
        switch (shown.Kind)
        {
            case nameof(Dataset):
                shown.Annotations.Add(new ResourceCommandAnnotation(
                    "delete-dataset", "Delete", _ => ResourceCommandState.Enabled,
                    async context =>
                    {
                        await mirror.Store.DeleteAsync<Dataset>(shown.ObjectName, shown.Namespace, context.CancellationToken);
                        return CommandResults.Success();
                    },
                    "Deletes the dataset; its runtime, steps and objects go with it.", parameter: null,
                    confirmationMessage: $"Delete dataset {shown.ObjectName}, its runtime, its steps and its objects?",
                    iconName: "Delete", iconVariant: IconVariant.Regular, isHighlighted: false));
                break;

            case nameof(DataProcess):
                shown.Annotations.Add(new ResourceCommandAnnotation(
                    "rerun-step", "Run again", context => context.ResourceSnapshot.State?.Text == nameof(OperationPhase.Failed)
                        ? ResourceCommandState.Enabled
                        : ResourceCommandState.Disabled,
                    async context => await RerunAsync(mirror.Store, shown, context.CancellationToken),
                    "Runs the failed step again, and the steps after it that failed for it.", parameter: null, confirmationMessage: null,
                    iconName: "ArrowClockwise", iconVariant: IconVariant.Regular, isHighlighted: true));
                break;
        }
    }

    /// <summary>
    /// Replaces the failed step, and the steps of its run after it that failed because it did, with new ones of the
    /// same spec: the controller then runs them as it ran the first.
    /// </summary>
    private static async Task<ExecuteCommandResult> RerunAsync(IResourceStore store, StackObject shown, CancellationToken cancellationToken)
    {
        var step = await store.GetAsync<DataProcess>(shown.ObjectName, shown.Namespace, cancellationToken);
        if (step?.Status?.Phase != OperationPhase.Failed)
        {
            return CommandResults.Failure($"Step {shown.ObjectName} is {(step is null ? "gone" : step.Status?.Phase?.ToString() ?? "Pending")}; only a failed step runs again.");
        }

        var again = new List<DataProcess> { step };
        if (step.Metadata.Labels.TryGetValue(FlowLabels.Run, out var run))
        {
            var position = PositionOf(step);
            var runSteps = await store.ListAsync<DataProcess>(shown.Namespace, new Dictionary<string, string> { [FlowLabels.Run] = run }, cancellationToken);
            again.AddRange(runSteps.Items.Where(s => PositionOf(s) > position && s.Status?.Phase == OperationPhase.Failed));
        }

        foreach (var old in again)
        {
            await store.DeleteAsync<DataProcess>(old.Metadata.Name, old.Metadata.NamespaceProperty, cancellationToken);
        }

        foreach (var old in again.OrderBy(PositionOf))
        {
            await WaitGoneAsync(store, old, cancellationToken);
            await store.CreateAsync(Fresh(old), cancellationToken);
        }

        return CommandResults.Success();
    }

    private static int PositionOf(DataProcess step) =>
        step.Metadata.Labels.TryGetValue(FlowLabels.FlowStep, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            ? position
            : 0;

    private static async Task WaitGoneAsync(IResourceStore store, DataProcess step, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DeletionWait);
        while (await store.GetAsync<DataProcess>(step.Metadata.Name, step.Metadata.NamespaceProperty, timeout.Token) is not null)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), timeout.Token);
        }
    }

    /// <summary>The step as it was created: its name, labels, annotations, owner and spec, without what the server and the controller added.</summary>
    private static DataProcess Fresh(DataProcess old) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = old.Metadata.Name,
            NamespaceProperty = old.Metadata.NamespaceProperty,
            Labels = old.Metadata.Labels,
            Annotations = old.Metadata.Annotations,
            OwnerReferences = old.Metadata.OwnerReferences,
        },
        Spec = old.Spec,
    };
}

using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Sdk;

namespace Fluid.Aspire.Hosting.Dashboard;

/// <summary>The dashboard's commands on the stack's objects: delete a dataset (and with it its runtime and steps), run a failed step again.</summary>
internal static class StackObjectCommands
{
    public static void Add(StackObject shown, Func<FluidClient> client)
    {
        switch (shown.Kind)
        {
            case nameof(Dataset):
                shown.Annotations.Add(new ResourceCommandAnnotation(
                    "delete-dataset", "Delete", _ => ResourceCommandState.Enabled,
                    async context =>
                    {
                        await client().Store.DeleteAsync<Dataset>(shown.ObjectName, shown.Namespace, context.CancellationToken);
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
                    async context =>
                    {
                        try
                        {
                            await client().RerunAsync(shown.ObjectName, shown.Namespace, context.CancellationToken);
                            return CommandResults.Success();
                        }
                        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                        {
                            return CommandResults.Failure(ex.Message);
                        }
                    },
                    "Runs the failed step again, and the steps after it that failed because it did.", parameter: null, confirmationMessage: null,
                    iconName: "ArrowClockwise", iconVariant: IconVariant.Regular, isHighlighted: true));
                break;
        }
    }
}

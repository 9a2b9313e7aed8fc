using k8s.Models;
using System.Diagnostics;
using System.Globalization;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Store;

namespace Fluid.Sdk;

/// <summary>One step of a flow, before it runs.</summary>
public sealed record FlowStep(Processor Processor, string? MountPath, string? SubPath, IReadOnlyList<string> Inputs);

/// <summary>
/// Steps to run one after another on a dataset, each next to its data and to the step before it. Immutable:
/// <see cref="Process"/> returns a new flow, so a flow can be a template for several runs.
/// </summary>
public sealed class DataFlow
{
    internal DataFlow(FluidDataset dataset, IReadOnlyList<FlowStep> steps)
    {
        Dataset = dataset;
        Steps = steps;
    }

    public FluidDataset Dataset { get; }

    public IReadOnlyList<FlowStep> Steps { get; }

    /// <summary>
    /// A flow with one more step. <paramref name="inputs"/> names the objects the step reads, so that it is placed
    /// where they are.
    /// </summary>
    public DataFlow Process(Processor processor, string? mountPath = null, string? subPath = null, IEnumerable<string>? inputs = null) =>
        new(Dataset, [.. Steps, new FlowStep(processor, mountPath, subPath, [.. inputs ?? []])]);

    /// <summary>
    /// Creates the steps as DataProcess resources named <c>{runId}-step{i}</c>, labelled with the run, each running
    /// after the one before; all of them or none.
    /// </summary>
    /// <exception cref="Aspire.Contracts.Validation.ResourceInvalidException">A step breaks a rule; nothing was created.</exception>
    /// <exception cref="ResourceAlreadyExistsException">A run of that id exists; choose another id, or delete that run's steps.</exception>
    public async Task<FlowRun> RunAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (Steps.Count == 0)
        {
            throw new InvalidOperationException("The flow has no steps; add one with Process.");
        }

        var dataset = Dataset.Resource;
        var names = Enumerable.Range(0, Steps.Count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{runId}-step{i}")).ToArray();
        var (activity, traceParent) = FluidTracing.StartRun(runId, Dataset.Name, Steps.Count);
        var created = new List<string>();
        try
        {
            for (var i = 0; i < Steps.Count; i++)
            {
                var step = new DataProcess
                {
                    Metadata = new V1ObjectMeta
                    {
                        Name = names[i],
                        NamespaceProperty = Dataset.Namespace,
                        Labels = new Dictionary<string, string>
                        {
                            [FlowLabels.Run] = runId,
                            [FlowLabels.FlowStep] = i.ToString(CultureInfo.InvariantCulture),
                            [FlowLabels.Dataset] = FlowLabels.DatasetValue(Dataset.Namespace, Dataset.Name),
                        },
                        Annotations = new Dictionary<string, string>
                        {
                            [FlowLabels.ProcessorAnnotation] = Steps[i].Processor.Description,
                            [FlowLabels.TraceParentAnnotation] = traceParent,
                        },
                        OwnerReferences = [dataset.ControllerReference()],
                    },
                    Spec = new DataProcessSpec
                    {
                        Dataset = new DatasetReference { Name = Dataset.Name, MountPath = Steps[i].MountPath, SubPath = Steps[i].SubPath },
                        Processor = Steps[i].Processor.Spec,
                        Inputs = [.. Steps[i].Inputs],
                        RunAfter = i == 0 ? null : new OperationReference
                        {
                            Kind = nameof(DataProcess),
                            Name = names[i - 1],
                            AffinityStrategy = new AffinityStrategy { Policy = AffinityPolicy.Prefer },
                        },
                    },
                };
                await Dataset.Client.Store.CreateAsync(step, cancellationToken);
                created.Add(names[i]);
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity?.Dispose();

            // Nothing is left half-created: a flow whose later steps are missing would wait for ever.
            foreach (var name in created)
            {
                try
                {
                    await Dataset.Client.Store.DeleteAsync<DataProcess>(name, Dataset.Namespace, CancellationToken.None);
                }
                catch (ResourceStoreException)
                {
                    // Best effort; the dataset's clean-up removes its steps too.
                }
            }

            throw;
        }

        return new FlowRun(Dataset.Client, Dataset.Namespace, runId, names, activity);
    }
}

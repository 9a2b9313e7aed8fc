using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Execution;
using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Controller.Reconciliation;
using Fluid.Aspire.Controller.Scheduling;
using k8s.Models;
using Contract = Fluid.Aspire.Contracts;
using ContractOps = Fluid.Aspire.Contracts.Operations;

namespace Fluid.Aspire.Controller.Operations;

/// <summary>
/// Turns a DataProcess into a scheduling request (its dataset's node affinity, where its inputs are, the node of the
/// step it runs after) and, once placed, into the launch of its process on that node.
/// </summary>
public sealed class StepPlanner(ControlPlaneState state, StepScheduler scheduler)
{
    /// <summary>The argument that makes a program host its step methods (FluidSteps.RunIfRequested).</summary>
    public const string StepArgument = "--fluid-step";

    /// <summary>Where the step runs: by its dataset's required terms, its inputs, the step it runs after, and what its nodes have free.</summary>
    /// <param name="step">The step to place.</param>
    /// <param name="dataset">Its dataset, if any.</param>
    /// <param name="predecessor">The step it runs after, if any.</param>
    /// <param name="running">The steps running now, which hold their nodes' resources.</param>
    /// <exception cref="StepPlanException">The dataset's node affinity is one the scheduler cannot apply.</exception>
    public Scheduling.StepPlacement Schedule(DataProcess step, Dataset? dataset, DataProcess? predecessor, IReadOnlyCollection<DataProcess> running)
    {
        var instances = state.ObjectStores.Instances.Select(i => i.Node).ToHashSet(StringComparer.Ordinal);
        var onNode = running.Where(r => r.Status.NodeName is not null).ToLookup(r => r.Status.NodeName!, StringComparer.Ordinal);
        var candidates = state.Nodes.Nodes
            .Where(n => n.Members.Any(m => m.Component == NodeComponents.ObjectStore) && instances.Contains(n.Name))
            .Select(n => new CandidateNode(n.Name, n.Labels, n.Ready, onNode[n.Name].Count(), Free(n, onNode[n.Name])));
        var request = new SchedulingRequest
        {
            Step = step.Metadata.Name,
            Required = [.. dataset?.Spec.NodeAffinity?.Required?.NodeSelectorTerms ?? []],
            Requests = Amounts(step.Spec.Resources?.Requests),
            Inputs =
            [
                .. step.Spec.Inputs
                    .Select(name => (name, found: state.ObjectStores.Find(name)))
                    .Where(input => input.found is not null)
                    .Select(input => new StepInput(input.name, input.found!.Value.Meta.NBytes, input.found.Value.Nodes)),
                .. CachedBlocks(dataset),
            ],
            After = predecessor?.Status.NodeName is { Length: > 0 } node
                ? new PreviousStep(node, step.Spec.RunAfter?.AffinityStrategy?.Policy == ContractOps.AffinityPolicy.Require
                    ? Scheduling.AffinityPolicy.Require
                    : Scheduling.AffinityPolicy.Prefer)
                : null,
        };
        // The store checks these rules locally, but a cluster's CRDs cannot hold them all: a step must fail with them, not be retried for ever.
        if (request.Validate().ToArray() is { Length: > 0 } problems)
        {
            throw new StepPlanException(
                $"The step cannot be placed as written: {string.Join(" ", problems)} (The required terms are dataset {dataset?.Metadata.Name}'s " +
                "spec.nodeAffinity.required.nodeSelectorTerms: fix them there, then run the step again.)");
        }

        return scheduler.Schedule(candidates, request);
    }

    /// <summary>
    /// Where the dataset's cache runtime holds blocks, as inputs of the step: each worker's cached bytes on its node, so
    /// that the step goes where most of its dataset is cached, as it goes where its objects are.
    /// </summary>
    private IEnumerable<StepInput> CachedBlocks(Dataset? dataset) =>
        dataset is not null && state.CacheRuntimes.Get(ResourceKeys.Of(dataset)) is { } runtime
            ? runtime.Status.Workers.Where(w => w.Cached > 0).Select(w => new StepInput($"dataset {dataset.Metadata.Name} cached on {w.Node}", w.Cached, w.Node))
            : [];

    /// <summary>The decision as the step's status records it: the node, the reason, and the best scores with their reasons.</summary>
    public static ContractOps.SchedulingDecision Record(Scheduling.StepPlacement decision) => new()
    {
        Node = decision.Node ?? "",
        Reason = decision.Reason,
        Scores = [.. decision.Scores.Take(10).Select(s => new ContractOps.NodeScore
        {
            Node = s.Node,
            Score = (int)Math.Round(s.Score),
            Reasons = [.. s.Contributions.Select(c => c.ToString())],
        })],
    };

    /// <summary>How the step's process is started on <paramref name="node"/>.</summary>
    /// <exception cref="StepPlanException">The step names no processor.</exception>
    public StepLaunch Launch(DataProcess step, Dataset? dataset, string node, int attempt)
    {
        var processor = step.Spec.Processor!;
        var (command, arguments, environment, workingDirectory) = processor switch
        {
            { Command: { } c } => (c.Command, (IReadOnlyList<string>)c.Args, (IReadOnlyDictionary<string, string>)c.Env, c.WorkingDir),
            { Method: { } m } => HostOf(m),
            _ => throw new StepPlanException($"{step} has no processor; set spec.processor.command or spec.processor.method."),
        };
        // A container sees its dataset through volumes at its mount path; a process of a simulated node where the node has it.
        var image = IsSimulated(node) ? null : ImageOf(processor);
        var (volumes, mounts) = image is not null && dataset is not null && step.Spec.Dataset is { } reference
            ? StepDatasetVolumes.For(dataset, reference)
            : ([], []);
        var datasetPath = image is null ? DatasetPath(dataset, step.Spec.Dataset)
            : mounts.Count > 0 ? StepDatasetVolumes.MountPathOf(step.Spec.Dataset!)
            : null;
        return new StepLaunch
        {
            Namespace = step.Metadata.NamespaceProperty,
            StepName = step.Metadata.Name,
            RunId = RunOf(step),
            Attempt = attempt,
            Labels = new Dictionary<string, string>(step.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Resources = step.Spec.Resources,
            Image = image,
            Volumes = volumes,
            VolumeMounts = mounts,
            Owner = new V1OwnerReference
            {
                ApiVersion = step.ApiVersion, Kind = step.Kind, Name = step.Metadata.Name, Uid = step.Metadata.Uid, Controller = true, BlockOwnerDeletion = true,
            },
            NodeName = node,
            Command = command,
            Arguments = arguments,
            Environment = WithTraceParent(environment, step),
            WorkingDirectory = workingDirectory ?? datasetPath,
            Timeout = step.Spec.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Context = new StepNodeContext
            {
                ObjectStoreSocket = state.ObjectStores.Instances.FirstOrDefault(i => i.Node == node)?.IpcSocket,
                CacheAgentSocket = state.Nodes.Nodes.FirstOrDefault(n => n.Name == node)?.Members
                    .FirstOrDefault(m => m.Component == NodeComponents.CacheAgent)?.Endpoints.GetValueOrDefault(NodeMember.UnixEndpoint),
                DatasetName = dataset?.Metadata.Name,
                DatasetPath = datasetPath,
            },
        };
    }

    /// <summary>The step's variables, with the trace of its run when the run has one.</summary>
    private static IReadOnlyDictionary<string, string> WithTraceParent(IReadOnlyDictionary<string, string> environment, DataProcess step) =>
        step.Metadata.Annotations is { } annotations && annotations.TryGetValue(Contract.FlowLabels.TraceParentAnnotation, out var parent) && parent.Length > 0
            ? new Dictionary<string, string>(environment, StringComparer.Ordinal) { [Contract.FlowLabels.TraceParentVariable] = parent }
            : environment;

    /// <summary>Why the step cannot run on <paramref name="node"/> as it is written, or null: a real node runs images only.</summary>
    public string? ImageProblem(DataProcess step, string node) =>
        IsSimulated(node) || step.Spec.Processor is not { } processor || ImageOf(processor) is not null
            ? null
            : $"{(processor.Command is not null ? "spec.processor.command.image" : "spec.processor.method.image")} is empty, and node {node} runs " +
                "steps as containers: name the image that has the step's program (a simulated node, as ./run.sh starts, runs it directly).";

    private static string? ImageOf(ProcessorSpec processor) => (processor.Command?.Image ?? processor.Method?.Image) is { Length: > 0 } image ? image : null;

    /// <summary>A node no kubelet keeps, whose pods run as processes of this machine (docs/nodes.md).</summary>
    private bool IsSimulated(string node) =>
        state.Nodes.Nodes.FirstOrDefault(n => n.Name == node)?.Labels.GetValueOrDefault(NodeLabels.Simulated) == "true";

    /// <summary>What a node has left: its allocatable less the requests of the steps running on it; null when it reports no allocatable.</summary>
    private static Dictionary<string, decimal>? Free(ClusterNode node, IEnumerable<DataProcess> running)
    {
        if (node.Allocatable is not { Count: > 0 } allocatable)
        {
            return null;
        }

        var free = Amounts(allocatable);
        foreach (var (resource, amount) in running.SelectMany(r => Amounts(r.Spec.Resources?.Requests)))
        {
            if (free.TryGetValue(resource, out var left))
            {
                free[resource] = left - amount;
            }
        }

        return free;
    }

    private static Dictionary<string, decimal> Amounts(IEnumerable<KeyValuePair<string, ResourceQuantity>>? quantities) =>
        (quantities ?? []).ToDictionary(q => q.Key, q => q.Value.ToDecimal(), StringComparer.Ordinal);

    /// <summary>The run a step belongs to: its run label, else its own name and uid (a step run on its own).</summary>
    public static string RunOf(DataProcess step) =>
        step.Metadata.Labels.TryGetValue(Contract.FlowLabels.Run, out var run) ? run : $"{step.Metadata.Name}-{step.Metadata.Uid}";

    /// <summary>A .NET method step: its program, run with the argument that makes it host the method, where steps run by default.</summary>
    private static (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>, string?) HostOf(MethodProcessor method)
    {
        var program = method.Program ?? method.Assembly;
        string[] step = [StepArgument, $"{method.Type}::{method.Method}", .. method.Args];
        return program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? (DotnetHost(), [program, .. step], method.Env, null)
            : (program, step, method.Env, null);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    /// <summary>Where the step finds its dataset's files: the first local:// mount, under the step's subPath.</summary>
    private static string? DatasetPath(Dataset? dataset, DatasetReference? reference)
    {
        var mount = dataset?.Spec.Mounts.FirstOrDefault(m => m.MountPoint.StartsWith("local://", StringComparison.Ordinal));
        if (mount is null)
        {
            return null;
        }

        var root = mount.MountPoint["local://".Length..];
        return string.IsNullOrEmpty(reference?.SubPath) ? root : Path.Combine(root, reference.SubPath);
    }
}

/// <summary>A step the planner cannot place or launch as it is written; the message says what is wrong and how to fix it.</summary>
public sealed class StepPlanException(string message) : Exception(message)
{
    /// <summary>The reason of the Failed condition of such a step.</summary>
    public const string Reason = "InvalidStep";
}

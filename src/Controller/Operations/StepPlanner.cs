using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Execution;
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

    public Scheduling.StepPlacement Schedule(DataProcess step, Dataset? dataset, DataProcess? predecessor, IReadOnlyDictionary<string, int> runningPerNode)
    {
        var instances = state.ObjectStores.Instances.Select(i => i.Node).ToHashSet(StringComparer.Ordinal);
        var candidates = state.Nodes.Nodes
            .Where(n => n.Members.Any(m => m.Component == NodeComponents.ObjectStore) && instances.Contains(n.Name))
            .Select(n => new CandidateNode(n.Name, n.Labels, n.Ready, runningPerNode.GetValueOrDefault(n.Name)));
        var request = new SchedulingRequest
        {
            Step = step.Metadata.Name,
            Required = [.. dataset?.Spec.NodeAffinity?.Required?.NodeSelectorTerms ?? []],
            Inputs = step.Spec.Inputs
                .Select(name => (name, found: state.ObjectStores.Find(name)))
                .Where(input => input.found is not null)
                .Select(input => new StepInput(input.name, input.found!.Value.Meta.NBytes, input.found.Value.Nodes))
                .ToArray(),
            After = predecessor?.Status.NodeName is { Length: > 0 } node
                ? new PreviousStep(node, step.Spec.RunAfter?.AffinityStrategy?.Policy == ContractOps.AffinityPolicy.Require
                    ? Scheduling.AffinityPolicy.Require
                    : Scheduling.AffinityPolicy.Prefer)
                : null,
        };
        return scheduler.Schedule(candidates, request);
    }

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

    public StepLaunch Launch(DataProcess step, Dataset? dataset, string node, int attempt)
    {
        var processor = step.Spec.Processor!;
        var (command, arguments, environment, workingDirectory) = processor switch
        {
            { Command: { } c } => (c.Command, (IReadOnlyList<string>)c.Args, (IReadOnlyDictionary<string, string>)c.Env, c.WorkingDir),
            { Method: { } m } => HostOf(m),
            _ => throw new InvalidOperationException($"{step} has no processor; set spec.processor.command or spec.processor.method."),
        };
        return new StepLaunch
        {
            Namespace = step.Metadata.NamespaceProperty,
            StepName = step.Metadata.Name,
            RunId = RunOf(step),
            Attempt = attempt,
            Labels = new Dictionary<string, string>(step.Metadata.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            Owner = new V1OwnerReference
            {
                ApiVersion = step.ApiVersion, Kind = step.Kind, Name = step.Metadata.Name, Uid = step.Metadata.Uid, Controller = true, BlockOwnerDeletion = true,
            },
            NodeName = node,
            Command = command,
            Arguments = arguments,
            Environment = environment,
            WorkingDirectory = workingDirectory,
            Timeout = step.Spec.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Context = new StepNodeContext
            {
                ObjectStoreSocket = state.ObjectStores.Instances.FirstOrDefault(i => i.Node == node)?.IpcSocket,
                DatasetName = dataset?.Metadata.Name,
                DatasetPath = DatasetPath(dataset, step.Spec.Dataset),
            },
        };
    }

    /// <summary>The run a step belongs to: its run label, else its own name and uid (a step run on its own).</summary>
    public static string RunOf(DataProcess step) =>
        step.Metadata.Labels.TryGetValue(Contract.FlowLabels.Run, out var run) ? run : $"{step.Metadata.Name}-{step.Metadata.Uid}";

    /// <summary>A .NET method step: its program, run with the argument that makes it host the method.</summary>
    private static (string, IReadOnlyList<string>, IReadOnlyDictionary<string, string>, string?) HostOf(MethodProcessor method)
    {
        var program = method.Program ?? method.Assembly;
        string[] step = [StepArgument, $"{method.Type}::{method.Method}", .. method.Args];
        return program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? (DotnetHost(), [program, .. step], method.Env, Path.GetDirectoryName(program))
            : (program, step, method.Env, Path.GetDirectoryName(program));
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

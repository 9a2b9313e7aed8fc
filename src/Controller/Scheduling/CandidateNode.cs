namespace Fluid.Aspire.Controller.Scheduling;

/// <summary>A node a step could run on, as the scheduler needs to see it.</summary>
/// <param name="Name">
/// The node name. It is the node's identity for the "same node" tier and what <see cref="StepInput.Nodes"/> and
/// <see cref="PreviousStep.Node"/> refer to; the <c>fluid.io/node</c> label usually repeats it, for selector terms.
/// </param>
/// <param name="Labels">
/// The node's labels: the locality ones (<c>topology.kubernetes.io/zone</c>, <c>topology.kubernetes.io/region</c>,
/// <c>fluid.io/rack</c>) place it in the tiers; all of them can be matched by selector terms.
/// </param>
/// <param name="Ready">False keeps the node out of the choice; it still counts as a holder of data for the tiers
/// of its neighbours, since its labels are known.</param>
/// <param name="RunningSteps">
/// How many steps run on the node now; 0 when unknown. It breaks ties after the score and the bytes to move, which
/// spreads steps that have no inputs and no affinity.
/// </param>
/// <param name="Free">
/// What the node has left of each resource for another step (cores for <c>cpu</c>, bytes for <c>memory</c>): its
/// allocatable less what its running steps request. A resource it does not report is not limited; null: none is.
/// </param>
public sealed record CandidateNode(
    string Name, IReadOnlyDictionary<string, string> Labels, bool Ready = true, int RunningSteps = 0, IReadOnlyDictionary<string, decimal>? Free = null);

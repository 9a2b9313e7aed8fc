using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Operations;

/// <summary>Where an operation is in its run, as Fluid names it.</summary>
public enum OperationPhase
{
    /// <summary>Waiting: for its schedule, its event, its predecessor or a node.</summary>
    Pending,

    /// <summary>Running.</summary>
    Executing,

    /// <summary>Finished successfully.</summary>
    Complete,

    /// <summary>Finished with an error; the conditions and <c>logTail</c> say which.</summary>
    Failed,
}

/// <summary>The condition types of an operation's status, which the controller writes and clients read.</summary>
public static class OperationConditions
{
    /// <summary>The operation finished: True when Complete, False when Failed; the reason and message say why.</summary>
    public const string Complete = "Complete";

    /// <summary>The operation waits (for its predecessor, dataset, node, time or event); the reason and message say for what.</summary>
    public const string Waiting = "Waiting";
}

/// <summary>What every operation reports.</summary>
public sealed class OperationStatus
{
    /// <summary>Where the operation is; null until a controller has seen it.</summary>
    public OperationPhase? Phase { get; set; }

    /// <summary>How long the last run took, written like Go's durations (<c>1m30s</c>).</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>Kubernetes-style conditions, e.g. <c>Complete</c> or <c>Failed</c>.</summary>
    [Unique(nameof(Condition.Type))]
    public List<Condition> Conditions { get; set; } = [];

    /// <summary>When the last run was started (by schedule, event or hand).</summary>
    public DateTimeOffset? LastScheduleTime { get; set; }

    /// <summary>When a run last completed successfully.</summary>
    public DateTimeOffset? LastSuccessfulTime { get; set; }

    /// <summary>The node the last run ran on.</summary>
    public string? NodeName { get; set; }

    /// <summary>The process exit code of the last run, once it ended.</summary>
    public int? ExitCode { get; set; }

    /// <summary>The last lines of the run's output, so that a failure can be read without finding the logs.</summary>
    public string? LogTail { get; set; }

    /// <summary>Kind-specific facts about the run, e.g. how many rows a step wrote.</summary>
    public Dictionary<string, string> Infos { get; set; } = [];

    /// <summary>Why the last run was placed where it was.</summary>
    public SchedulingDecision? Scheduling { get; set; }
}

/// <summary>Where the scheduler placed a run, and why: users see the scores of every candidate node.</summary>
public sealed class SchedulingDecision
{
    /// <summary>The chosen node.</summary>
    public string Node { get; set; } = "";

    /// <summary>Why it was chosen, e.g. <c>holds x_train (1.2GiB) in memory</c>.</summary>
    public string? Reason { get; set; }

    /// <summary>Every candidate node's score, best first.</summary>
    public List<NodeScore> Scores { get; set; } = [];
}

/// <summary>One candidate node's score.</summary>
public sealed class NodeScore
{
    /// <summary>The node.</summary>
    public string Node { get; set; } = "";

    /// <summary>The score; higher is better (Fluid's tiers weigh node 100, zone 50, region 20).</summary>
    public int Score { get; set; }

    /// <summary>What the score is made of, e.g. <c>+100 holds x_train</c> or <c>excluded: nodeAffinity</c>.</summary>
    public List<string> Reasons { get; set; } = [];
}

using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Runtimes;

/// <summary>How many of a runtime's workers are ready, as Fluid names it.</summary>
public enum RuntimePhase
{
    /// <summary>No worker is ready.</summary>
    NotReady,

    /// <summary>Some workers are ready.</summary>
    PartialReady,

    /// <summary>All desired workers are ready.</summary>
    Ready,
}

/// <summary>What the controller observed about a runtime, whatever serves it: how many of its workers run and are ready.</summary>
public abstract class RuntimeStatus
{
    /// <summary>The condition that says whether the workers are ready, and why not.</summary>
    public const string ReadyCondition = "Ready";

    /// <summary>The overall phase; null until a controller has seen the runtime.</summary>
    [JsonPropertyOrder(-1)]
    public RuntimePhase? Phase { get; set; }

    /// <summary>How many workers should run.</summary>
    [JsonPropertyOrder(-1)]
    public int DesiredWorkers { get; set; }

    /// <summary>How many workers have been placed on a node.</summary>
    [JsonPropertyOrder(-1)]
    public int CurrentWorkers { get; set; }

    /// <summary>How many workers serve requests.</summary>
    [JsonPropertyOrder(-1)]
    public int ReadyWorkers { get; set; }

    /// <summary>The workers' phase.</summary>
    [JsonPropertyOrder(-1)]
    public RuntimePhase? WorkerPhase { get; set; }

    /// <summary>Kubernetes-style conditions, e.g. <c>Ready</c>.</summary>
    [JsonPropertyOrder(-1)]
    [Unique(nameof(Condition.Type))]
    public List<Condition> Conditions { get; set; } = [];

    /// <summary>Sets the phases from <paramref name="ready"/> workers of <see cref="DesiredWorkers"/>, and the Ready condition.</summary>
    public void ReportWorkers(int ready, string reason, string message, DateTimeOffset now)
    {
        ReadyWorkers = ready;
        Phase = ready == 0 ? RuntimePhase.NotReady : ready >= DesiredWorkers ? RuntimePhase.Ready : RuntimePhase.PartialReady;
        WorkerPhase = Phase;
        Conditions.Set(new Condition
        {
            Type = ReadyCondition,
            Status = Phase == RuntimePhase.Ready ? ConditionStatus.True : ConditionStatus.False,
            Reason = reason,
            Message = message,
        }, now);
    }
}

using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Operations;

/// <summary>When an operation runs.</summary>
public enum OperationPolicy
{
    /// <summary>Once, as soon as it can (after <c>runAfter</c>, if set).</summary>
    Once,

    /// <summary>On each tick of <c>schedule</c>.</summary>
    Cron,

    /// <summary>Whenever <c>onEvent</c> happens. Fluid declares this policy but never implemented it; we do.</summary>
    OnEvent,
}

/// <summary>
/// The fields every data operation has (Fluid's common operation fields): when it runs, what it waits for, and when
/// it is cleaned up. Operation kinds derive their spec from it.
/// </summary>
public abstract class OperationSpec
{
    /// <summary>When the operation runs; Once when unset.</summary>
    public OperationPolicy? Policy { get; set; }

    /// <summary>A cron expression, for policy Cron: five fields (<c>*/10 * * * *</c>), or a macro such as <c>@hourly</c>.</summary>
    [Cron]
    public string? Schedule { get; set; }

    /// <summary>The happening that runs the operation, for policy OnEvent.</summary>
    public OnEventTrigger? OnEvent { get; set; }

    /// <summary>The operation this one waits for: it starts once that one is Complete (a step of a data flow).</summary>
    public OperationReference? RunAfter { get; set; }

    /// <summary>Seconds after it finished (Complete or Failed) before the operation is deleted; kept forever when unset.</summary>
    [Range(0, Example = "600")]
    public int? TtlSecondsAfterFinished { get; set; }

    /// <summary>The effective policy.</summary>
    public OperationPolicy EffectivePolicy() => Policy ?? OperationPolicy.Once;
}

/// <summary>What runs an OnEvent operation: exactly one of the triggers.</summary>
[OneOf(nameof(ObjectPut), nameof(DatasetPhase), Example = "{\"objectPut\": \"x_train\"}")]
public sealed class OnEventTrigger
{
    /// <summary>Run when an object of this name is put into the object store.</summary>
    [ObjectName]
    public string? ObjectPut { get; set; }

    /// <summary>Run when a dataset's phase changes to the given phase.</summary>
    public DatasetPhaseTrigger? DatasetPhase { get; set; }
}

/// <summary>A dataset reaching a phase.</summary>
public sealed class DatasetPhaseTrigger
{
    /// <summary>The dataset's name.</summary>
    [Required(Example = "housing")]
    [DnsLabel(Example = "housing")]
    public string Name { get; set; } = "";

    /// <summary>The dataset's namespace; the operation's when unset.</summary>
    [DnsLabel(Example = "team-a")]
    public string? Namespace { get; set; }

    /// <summary>The phase that triggers the operation, e.g. <c>Bound</c>.</summary>
    [Required(Example = "Bound")]
    public DatasetPhase? Phase { get; set; }
}

/// <summary>A reference to another operation, for <c>runAfter</c>.</summary>
public sealed class OperationReference
{
    /// <summary>The operation's kind, e.g. <c>DataProcess</c>; it must be a known operation kind.</summary>
    [Required(Example = "DataProcess")]
    public string Kind { get; set; } = "";

    /// <summary>The operation's name.</summary>
    [Required(Example = "preprocess")]
    [DnsLabel(Example = "preprocess")]
    public string Name { get; set; } = "";

    /// <summary>The operation's namespace; this one's when unset.</summary>
    [DnsLabel(Example = "team-a")]
    public string? Namespace { get; set; }

    /// <summary>Whether to run on the node where that operation ran, to read what it left in memory there.</summary>
    public AffinityStrategy? AffinityStrategy { get; set; }
}

/// <summary>How strongly a step wants its predecessor's node.</summary>
public enum AffinityPolicy
{
    /// <summary>Only that node: wait for it rather than run elsewhere.</summary>
    Require,

    /// <summary>That node if it can; elsewhere (fetching the data) if not.</summary>
    Prefer,
}

/// <summary>The placement of a step relative to its predecessor.</summary>
public sealed class AffinityStrategy
{
    /// <summary>Require or Prefer the predecessor's node.</summary>
    [Required(Example = "Prefer")]
    public AffinityPolicy? Policy { get; set; }
}

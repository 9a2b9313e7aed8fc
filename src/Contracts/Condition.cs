using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts;

/// <summary>Whether a condition holds, in Kubernetes' three-valued form.</summary>
public enum ConditionStatus
{
    /// <summary>Not known yet; the usual first value.</summary>
    Unknown,

    /// <summary>The condition holds.</summary>
    True,

    /// <summary>The condition does not hold.</summary>
    False,
}

/// <summary>One aspect of an object's state, in the shape of Kubernetes' <c>metav1.Condition</c>.</summary>
public sealed class Condition
{
    /// <summary>What the condition is about, in CamelCase, e.g. <c>Ready</c> or <c>MountsReady</c>; unique in a list.</summary>
    [Required(Example = "Ready")]
    [QualifiedName]
    public string Type { get; set; } = "";

    /// <summary>Whether it holds.</summary>
    public ConditionStatus Status { get; set; } = ConditionStatus.Unknown;

    /// <summary>A CamelCase word a program can switch on, e.g. <c>MountFailed</c>.</summary>
    [Pattern(@"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", "a CamelCase word", Example = "MountFailed")]
    public string? Reason { get; set; }

    /// <summary>What a person should know, including what to do about it.</summary>
    public string? Message { get; set; }

    /// <summary>When <see cref="Status"/> last changed (not when the condition was last written).</summary>
    public DateTimeOffset? LastTransitionTime { get; set; }

    /// <summary>The <c>metadata.generation</c> the condition was computed from, to tell stale conditions apart.</summary>
    public long? ObservedGeneration { get; set; }
}

/// <summary>Reading and updating a list of conditions as Kubernetes' <c>meta.SetStatusCondition</c> does.</summary>
public static class ConditionListExtensions
{
    /// <summary>The condition of type <paramref name="type"/>, or null.</summary>
    public static Condition? Find(this IEnumerable<Condition> conditions, string type) =>
        conditions.FirstOrDefault(c => c.Type == type);

    /// <summary>True when the condition of type <paramref name="type"/> exists and is <see cref="ConditionStatus.True"/>.</summary>
    public static bool IsTrue(this IEnumerable<Condition> conditions, string type) =>
        conditions.Find(type)?.Status == ConditionStatus.True;

    /// <summary>
    /// Adds or updates the condition of <paramref name="condition"/>'s type. <c>lastTransitionTime</c> moves to
    /// <paramref name="now"/> only when the status changes, so it keeps telling since when the state has held.
    /// </summary>
    /// <returns>True when anything changed, i.e. the status needs writing.</returns>
    public static bool Set(this IList<Condition> conditions, Condition condition, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        ArgumentNullException.ThrowIfNull(condition);
        var existing = conditions.Find(condition.Type);
        if (existing is null)
        {
            var added = ResourceJson.Clone(condition);
            added.LastTransitionTime ??= now;
            conditions.Add(added);
            return true;
        }

        var changed = false;
        if (existing.Status != condition.Status)
        {
            existing.Status = condition.Status;
            existing.LastTransitionTime = condition.LastTransitionTime ?? now;
            changed = true;
        }

        changed |= Assign(existing.Reason, condition.Reason, v => existing.Reason = v);
        changed |= Assign(existing.Message, condition.Message, v => existing.Message = v);
        if (existing.ObservedGeneration != condition.ObservedGeneration)
        {
            existing.ObservedGeneration = condition.ObservedGeneration;
            changed = true;
        }

        return changed;
    }

    /// <summary>Removes the condition of type <paramref name="type"/>; true if there was one.</summary>
    public static bool Remove(this IList<Condition> conditions, string type)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        var existing = conditions.Find(type);
        return existing is not null && conditions.Remove(existing);
    }

    private static bool Assign(string? current, string? value, Action<string?> set)
    {
        if (string.Equals(current ?? "", value ?? "", StringComparison.Ordinal))
        {
            return false;
        }

        set(value);
        return true;
    }
}

using k8s.Models;
using System.Globalization;
using Fluid.Aspire.Cli.Output;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>Steps: where and how they ran, and, in their description, why they ran where they did.</summary>
internal sealed class DataProcessKind : CustomKind<DataProcess>
{
    protected override void Describe(Description description, DataProcess step, DateTimeOffset now)
    {
        var spec = step.Spec;
        description.Section(0, "Spec")
            .Field(1, "Dataset", spec.Dataset is null ? null
                : spec.Dataset.Name + (spec.Dataset.MountPath is null ? "" : $" at {spec.Dataset.MountPath}") + (spec.Dataset.SubPath is null ? "" : $" (sub-path {spec.Dataset.SubPath})"))
            .Field(1, "Processor", Processor(spec.Processor))
            .Field(1, "Inputs", string.Join(", ", spec.Inputs))
            .Field(1, "Run After", spec.RunAfter is null ? null
                : $"{spec.RunAfter.Kind}/{spec.RunAfter.Name}" + (spec.RunAfter.AffinityStrategy?.Policy is { } policy ? $" (affinity: {policy})" : ""))
            .Field(1, "Policy", spec.EffectivePolicy() switch
            {
                OperationPolicy.Cron => $"Cron, schedule {spec.Schedule}",
                OperationPolicy.OnEvent => $"OnEvent, {Trigger(spec.OnEvent)}",
                var once => once.ToString(),
            })
            .Field(1, "Resources", Amounts(spec.Resources))
            .Field(1, "Timeout", spec.TimeoutSeconds is { } timeout ? Seconds(timeout) : null)
            .Field(1, "TTL After Finished", spec.TtlSecondsAfterFinished is { } ttl ? Seconds(ttl) : null);

        var status = step.Status;
        description.Section(0, "Status")
            .State(1, "Phase", status.Phase?.ToString())
            .Field(1, "Node", status.NodeName)
            .Field(1, "Exit Code", Humanize.OrNone(status.ExitCode), status.ExitCode is > 0 ? Tone.Bad : Tone.Plain)
            .Field(1, "Duration", Humanize.RunTime(status.Duration))
            .Field(1, "Last Schedule Time", Humanize.Timestamp(status.LastScheduleTime, now))
            .Field(1, "Last Successful Time", Humanize.Timestamp(status.LastSuccessfulTime, now))
            .Map(1, "Infos", status.Infos);

        // Why the step runs where it does: the chosen node, and every candidate's score with what made it.
        if (status.Scheduling is { } decision)
        {
            description.Section(0, "Scheduling")
                .Field(1, "Node", decision.Node)
                .Field(1, "Reason", decision.Reason);
            description.Table(1, "Scores", ["Node", "Score", "Reasons"],
            [
                .. decision.Scores.SelectMany(score => (score.Reasons.Count == 0 ? [Humanize.None] : score.Reasons).Select((reason, i) => new Cell[]
                {
                    new(i == 0 ? score.Node : "", i == 0 && score.Node == decision.Node ? Tone.Good : Tone.Plain),
                    new(i == 0 ? score.Score.ToString(CultureInfo.InvariantCulture) : ""),
                    new(reason),
                })),
            ]);
        }
        else
        {
            description.Field(0, "Scheduling", "not scheduled yet");
        }

        Describing.Conditions(description, status.Conditions, now);
        if (status.Phase == OperationPhase.Failed && !string.IsNullOrEmpty(status.LogTail))
        {
            description.Section(0, "Log Tail").Text(1, status.LogTail);
        }
    }

    /// <summary>What a step runs, in one line: the command and its arguments, or Type.Method.</summary>
    public static string? Processor(ProcessorSpec? processor) =>
        processor?.Command is { } command ? string.Join(' ', command.Args.Prepend(command.Command).Select(Quote))
        : processor?.Method is { } method ? $"{method.Type}.{method.Method} ({Path.GetFileName(method.Assembly)})"
        : null;

    private static string Trigger(OnEventTrigger? trigger) =>
        trigger?.ObjectPut is { } name ? $"when object '{name}' is put"
        : trigger?.DatasetPhase is { } phase ? $"when dataset {phase.Name} becomes {phase.Phase}"
        : "no trigger";

    private static string Seconds(int seconds) => Humanize.Duration(TimeSpan.FromSeconds(seconds));

    /// <summary>An argument as a shell would need it, so that the line can be copied and run.</summary>
    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@%+".Contains(c, StringComparison.Ordinal))
            ? argument
            : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    /// <summary>Requests and limits as one line, e.g. <c>requests cpu 500m, memory 4Gi; limits memory 8Gi</c>.</summary>
    private static string? Amounts(V1ResourceRequirements? resources) =>
        resources is null
            ? null
            : string.Join("; ", new[] { (Field: "requests", Amounts: resources.Requests), (Field: "limits", Amounts: resources.Limits) }
                .Where(part => part.Amounts is { Count: > 0 })
                .Select(part => $"{part.Field} {string.Join(", ", part.Amounts!.Select(amount => $"{amount.Key} {amount.Value}"))}"));
}

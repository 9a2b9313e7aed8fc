using System.CommandLine;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Cli.Commands;

/// <summary><c>fluid logs STEP [--tail N]</c>: a step's output (all its attempts), from the logs of its pods.</summary>
internal static class LogsCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("dataprocess") { Description = "The step (DataProcess) whose log to print." };
        name.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && value.StartsWith('-'))
            {
                result.AddError($"Unrecognized option '{value}'.");
            }
        });
        var tail = new Option<int?>("--tail")
        {
            Description = "Only the last N lines.",
            // A parser of our own, so that a word where the number goes is a usage error rather than an exception.
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lines) && lines >= 1)
                {
                    return lines;
                }

                result.AddError($"--tail {text} is not a number of lines; give a whole number of at least 1, e.g. --tail 20.");
                return null;
            },
        };
        var command = new Command("logs", "Print a step's log (stdout and stderr of every attempt).") { name, tail };
        command.SetAction((parse, cancellationToken) => Invocation.RunAsync(parse, async session =>
        {
            var step = parse.GetValue(name)!;
            var process = await session.Store.GetAsync<DataProcess>(step, session.Namespace, cancellationToken)
                ?? throw new CliException(Invocation.NotFound(Kinds.Kinds.Find("dataprocess"), step, session.Namespace));
            var attempts = await session.KubernetesAsync($"listing the pods of {step}", k => k.CoreV1.ListNamespacedPodAsync(
                session.Namespace, labelSelector: StepPodMetadata.Selector, cancellationToken: cancellationToken));
            var pods = attempts.Items.Where(p => p.GetAnnotation(StepPodMetadata.StepAnnotation) == step).OrderBy(p => p.Metadata.CreationTimestamp).ToList();
            if (pods.Count == 0)
            {
                throw new CliException(NoLog(process));
            }

            // Every attempt's pod, oldest first, as one log: --tail counts from the end of the last.
            var lines = new List<string>();
            foreach (var pod in pods)
            {
                var text = await session.KubernetesAsync($"reading the log of pod {pod.Metadata.Name}", async k =>
                {
                    using var reader = new StreamReader(await k.CoreV1.ReadNamespacedPodLogAsync(
                        pod.Metadata.Name, session.Namespace, container: StepPodMetadata.Container, cancellationToken: cancellationToken));
                    return await reader.ReadToEndAsync(cancellationToken);
                });
                lines.AddRange(text.Split('\n').SkipLast(1));
            }

            var log = string.Concat((parse.GetValue(tail) is { } last ? lines.TakeLast(last) : lines).Select(line => line + "\n"));
            Console.Out.Write(log);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Why a step has no log: it has not started (and what it waits for), or its log is gone.</summary>
    private static string NoLog(DataProcess step)
    {
        var id = $"dataprocess {step.Metadata.NamespaceProperty}/{step.Metadata.Name}";
        if (step.Status.Phase is null or OperationPhase.Pending)
        {
            var waiting = step.Status.Conditions.Find(OperationConditions.Waiting)?.Message;
            return $"{id} has no log yet: it has not started{(waiting is null ? "" : $" ({waiting.TrimEnd('.')})")}. " +
                $"A step has a log once it runs; follow it with: fluid get dataprocess {step.Metadata.Name} -n {step.Metadata.NamespaceProperty}";
        }

        return $"{id} is {step.Status.Phase} but none of its pods is left (a pod's log goes with it). " +
            $"fluid describe dataprocess {step.Metadata.Name} -n {step.Metadata.NamespaceProperty} shows the end of a failed step's log.";
    }
}

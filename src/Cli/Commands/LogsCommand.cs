using System.CommandLine;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Operations;

namespace Fluid.Aspire.Cli.Commands;

/// <summary><c>fluid logs STEP [--tail N]</c>: a step's output (all its attempts), from the controller that ran it.</summary>
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
        var tail = new Option<int?>("--tail") { Description = "Only the last N lines." };
        tail.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int?>() is < 1)
            {
                result.AddError("--tail must be at least 1, e.g. --tail 20.");
            }
        });
        var command = new Command("logs", "Print a step's log (stdout and stderr of every attempt).") { name, tail };
        command.SetAction((parse, cancellationToken) => Invocation.RunAsync(parse, async session =>
        {
            var step = parse.GetValue(name)!;
            var process = await session.Store.GetAsync<DataProcess>(step, session.Namespace, cancellationToken)
                ?? throw new CliException(Invocation.NotFound(Kinds.Kinds.Find("dataprocess"), step, session.Namespace));
            var path = $"/api/v1/namespaces/{Uri.EscapeDataString(session.Namespace)}/dataprocesses/{Uri.EscapeDataString(step)}/log" +
                (parse.GetValue(tail) is { } lines ? $"?tail={lines}" : "");
            var log = await session.GetControllerTextAsync(path, $"Reading the log of {step}", cancellationToken)
                ?? throw new CliException(NoLog(process));
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

        return $"{id} is {step.Status.Phase} but the controller has no log for it (the log is kept on the machine of the controller that ran it). " +
            $"fluid describe dataprocess {step.Metadata.Name} -n {step.Metadata.NamespaceProperty} shows the end of a failed step's log.";
    }
}

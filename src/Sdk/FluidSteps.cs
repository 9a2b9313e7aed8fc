using System.Collections;
using System.Diagnostics;
using System.Reflection;

namespace Fluid.Sdk;

/// <summary>
/// Hosts a program's step methods: the controller starts the program with <c>--fluid-step Type::Method</c>, and the
/// first line of Main hands over to the method. Without that argument it returns and the program runs as usual.
/// </summary>
public static class FluidSteps
{
    public const string StepArgument = "--fluid-step";

    /// <summary>Runs the requested step and exits with its result (0, or 1 with the error on stderr); returns otherwise.</summary>
    public static void RunIfRequested(string[] args)
    {
        if (Array.IndexOf(args, StepArgument) is var index and >= 0)
        {
            Environment.Exit(RunAsync(index + 1 < args.Length ? args[index + 1] : "", args[Math.Min(args.Length, index + 2)..]).GetAwaiter().GetResult());
        }
    }

    /// <summary>Runs one step method, as the controller would; returns the exit code.</summary>
    public static async Task<int> RunAsync(string step, IReadOnlyList<string>? arguments = null)
    {
        using var stopping = new CancellationTokenSource();
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stopping.Cancel();
        });
        var environment = Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => (string?)e.Value, StringComparer.Ordinal);
        await using var context = new StepContext(environment, arguments ?? [], stopping.Token);
        var attempt = environment.GetValueOrDefault("FLUID_ATTEMPT");
        using var tracing = FluidTracing.ExportIfConfigured(context.StepName, attempt is null ? null : $"{context.StepName}-{attempt}");
        using var activity = StartStep(context, environment.GetValueOrDefault(Aspire.Contracts.FlowLabels.TraceParentVariable));
        try
        {
            var method = Find(step);
            activity?.SetTag("fluid.step.method", $"{method.DeclaringType!.FullName}.{method.Name}");
            Console.WriteLine($"fluid: running {method.DeclaringType!.Name}.{method.Name} as step {context.StepName} on {context.Node}");
            if (method.Invoke(null, [context]) is Task task)
            {
                await task;
            }

            return 0;
        }
        catch (Exception ex)
        {
            var error = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            await Console.Error.WriteLineAsync($"fluid: step {context.StepName} failed: {error}");
            return 1;
        }
    }

    /// <summary>The step's span, inside its run's trace when the controller passed one on.</summary>
    private static Activity? StartStep(StepContext context, string? traceParent)
    {
        var parent = ActivityContext.TryParse(traceParent, null, out var run) ? run : default;
        var activity = FluidTracing.Source.StartActivity($"step {context.StepName}", ActivityKind.Internal, parent);
        activity?.SetTag("fluid.step", context.StepName);
        activity?.SetTag("fluid.run", context.RunId);
        activity?.SetTag("fluid.node", context.Node);
        return activity;
    }

    private static Assembly? LoadOrNull(AssemblyName name)
    {
        try
        {
            return Assembly.Load(name);
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    private static MethodInfo Find(string step)
    {
        var separator = step.LastIndexOf("::", StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new ArgumentException($"'{step}' is not a step; the controller passes Type::Method (a static method taking a StepContext).");
        }

        var typeName = step[..separator];
        var methodName = step[(separator + 2)..];
        // The step's type may live in a library the program references but has not loaded yet.
        var entry = Assembly.GetEntryAssembly();
        var candidates = AppDomain.CurrentDomain.GetAssemblies().Prepend(entry)
            .Concat((entry?.GetReferencedAssemblies() ?? []).Select(LoadOrNull));
        var type = candidates.Select(a => a?.GetType(typeName)).FirstOrDefault(t => t is not null)
            ?? throw new InvalidOperationException($"No type {typeName} in this program; was the step created by another build of it?");
        return type.GetMethod(methodName, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static, [typeof(StepContext)])
            ?? throw new InvalidOperationException($"{typeName} has no static method {methodName}(StepContext).");
    }
}

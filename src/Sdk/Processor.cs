using System.Reflection;
using Fluid.Aspire.Contracts.Operations;

namespace Fluid.Sdk;

/// <summary>What a step runs: a static method of this program, or any executable.</summary>
public sealed class Processor
{
    private Processor(ProcessorSpec spec, string description)
    {
        Spec = spec;
        Description = description;
    }

    /// <summary>The processor as the DataProcess resource records it.</summary>
    public ProcessorSpec Spec { get; }

    public string Description { get; }

    /// <summary>
    /// A static method of this program, run in a process of its own on the step's node: the program is started
    /// with <c>--fluid-step</c>, which <see cref="FluidSteps.RunIfRequested"/> (first thing in Main) turns into
    /// a call of the method.
    /// </summary>
    /// <param name="method">The step: a static method of this program taking a <see cref="StepContext"/>.</param>
    /// <param name="arguments">Passed to the step as <see cref="StepContext.Arguments"/>, e.g. the pipeline's settings.</param>
    /// <param name="environment">Added to the step's environment.</param>
    /// <param name="program">The program that hosts the method, when it is not this one (a notebook runs steps of a built program).</param>
    public static Processor FromMethod(Func<StepContext, Task> method, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null, string? program = null) =>
        FromMethodInfo(method.Method, arguments, environment, program);

    /// <inheritdoc cref="FromMethod(Func{StepContext, Task}, IEnumerable{string}?, IReadOnlyDictionary{string, string}?, string?)"/>
    public static Processor FromMethod(Action<StepContext> method, IEnumerable<string>? arguments = null,
        IReadOnlyDictionary<string, string>? environment = null, string? program = null) =>
        FromMethodInfo(method.Method, arguments, environment, program);

    /// <summary>Any executable, with arguments; <paramref name="image"/> is the container image it runs in on a cluster.</summary>
    public static Processor FromCommand(string command, IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null, string? image = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(command);
        var spec = new CommandProcessor
        {
            Command = command,
            Args = [.. arguments ?? []],
            Env = environment?.ToDictionary() ?? [],
            WorkingDir = workingDirectory,
            Image = image,
        };
        return new Processor(new ProcessorSpec { Command = spec }, $"{command} {string.Join(' ', spec.Args)}".Trim());
    }

    private static Processor FromMethodInfo(MethodInfo method, IEnumerable<string>? arguments, IReadOnlyDictionary<string, string>? environment, string? host)
    {
        if (!method.IsStatic || method.DeclaringType is null || method.DeclaringType.IsGenericType)
        {
            throw new ArgumentException(
                $"{method.DeclaringType?.Name}.{method.Name} is not a static method of a non-generic class; a step runs in a process of its own, " +
                "so it must be a static method (a lambda or an instance method cannot be found there).", nameof(method));
        }

        var program = host ?? Assembly.GetEntryAssembly()?.Location;
        if (string.IsNullOrEmpty(program))
        {
            throw new InvalidOperationException("The program hosting the step has no location on disk; run it as a normal .NET program, or use Processor.FromCommand.");
        }

        var spec = new MethodProcessor
        {
            Assembly = method.DeclaringType.Assembly.Location,
            Type = method.DeclaringType.FullName!,
            Method = method.Name,
            Program = program,
            Args = [.. arguments ?? []],
            Env = environment?.ToDictionary() ?? [],
            // In a cluster the program's own image has it; on a laptop nothing sets this, and nodes run the program directly.
            Image = host is null && Environment.GetEnvironmentVariable(MethodProcessor.ProgramImageVariable) is { Length: > 0 } image ? image : null,
        };
        return new Processor(new ProcessorSpec { Method = spec }, $"{spec.Type}.{spec.Method}");
    }
}

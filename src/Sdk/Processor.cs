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
    public static Processor FromMethod(Func<StepContext, Task> method) => FromMethodInfo(method.Method);

    /// <inheritdoc cref="FromMethod(Func{StepContext, Task})"/>
    public static Processor FromMethod(Action<StepContext> method) => FromMethodInfo(method.Method);

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

    private static Processor FromMethodInfo(MethodInfo method)
    {
        if (!method.IsStatic || method.DeclaringType is null || method.DeclaringType.IsGenericType)
        {
            throw new ArgumentException(
                $"{method.DeclaringType?.Name}.{method.Name} is not a static method of a non-generic class; a step runs in a process of its own, " +
                "so it must be a static method (a lambda or an instance method cannot be found there).", nameof(method));
        }

        var program = Assembly.GetEntryAssembly()?.Location;
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
        };
        return new Processor(new ProcessorSpec { Method = spec }, $"{spec.Type}.{spec.Method}");
    }
}

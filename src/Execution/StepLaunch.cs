using System.Text.RegularExpressions;

namespace Fluid.Aspire.Execution;

/// <summary>One attempt of a pipeline step, as an executor needs it: what to run, where, and for which run.</summary>
public sealed partial record StepLaunch
{
    private static readonly IReadOnlyDictionary<string, string> NoEntries = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>The namespace of the pipeline; part of the log path (<c>{logs}/{namespace}/{step}.log</c>).</summary>
    public required string Namespace { get; init; }

    /// <summary>The step's name, unique in its namespace; part of the log path.</summary>
    public required string StepName { get; init; }

    /// <summary>The pipeline run this attempt belongs to; re-attachment only finds attempts of the same run.</summary>
    public required string RunId { get; init; }

    /// <summary>Which attempt of the step in this run, from 1; each attempt gets a header line in the log.</summary>
    public int Attempt { get; init; } = 1;

    /// <summary>Labels of the run and step (recorded with the attempt; a Kubernetes executor puts them on the pod).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = NoEntries;

    /// <summary>What the attempt belongs to (the step's DataProcess): a pod executor makes it the pod's owner.</summary>
    public k8s.Models.V1OwnerReference? Owner { get; init; }

    /// <summary>The container image the step runs in; null where the node runs programs directly (a simulated node).</summary>
    public string? Image { get; init; }

    /// <summary>What the step requests and may use of its node; a pod executor puts it on the pod's container.</summary>
    public k8s.Models.V1ResourceRequirements? Resources { get; init; }

    /// <summary>
    /// The volumes of a step in a container (one with an <see cref="Image"/>): its dataset's sources. A process of
    /// the node has none; it sees the dataset where the node has it (<see cref="StepNodeContext.DatasetPath"/>).
    /// </summary>
    public IReadOnlyList<k8s.Models.V1Volume> Volumes { get; init; } = [];

    /// <summary>Where the container sees <see cref="Volumes"/>: under the step's <c>spec.dataset.mountPath</c>.</summary>
    public IReadOnlyList<k8s.Models.V1VolumeMount> VolumeMounts { get; init; } = [];

    /// <summary>The node the step was scheduled to, next to its data.</summary>
    public required string NodeName { get; init; }

    /// <summary>The program: a path (absolute, or relative to the working directory) or a name looked up in PATH.</summary>
    public required string Command { get; init; }

    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>
    /// Environment variables of the step, over those the executor passes on (see
    /// <see cref="LocalExecutorOptions.InheritEnvironment"/>); the <c>FLUID_*</c> variables of
    /// <see cref="StepEnvironmentVariables"/> are set by the executor (unless <see cref="LocalExecutorOptions.SetStepVariables"/> is off) and win over these.
    /// </summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = NoEntries;

    /// <summary>The step's working directory; null: the executor's default (the local executor's own directory; on a node, the pod's scratch directory).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How long the attempt may run before it is stopped (SIGTERM, then SIGKILL); null: no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>What the node offers the step: its object store and dataset.</summary>
    public StepNodeContext Context { get; init; } = new();

    /// <summary>The problems with this launch, each naming the field and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (field, value) in new[] { (nameof(Namespace), Namespace), (nameof(StepName), StepName), (nameof(NodeName), NodeName) })
        {
            if (string.IsNullOrEmpty(value) || !Name().IsMatch(value))
            {
                yield return $"{field} '{value}' is not a valid name: use 1 to 253 letters, digits, '-', '_' and '.', " +
                    "starting with a letter or digit (it becomes part of a file name).";
            }
        }

        if (string.IsNullOrWhiteSpace(RunId) || RunId.Contains('\n', StringComparison.Ordinal))
        {
            yield return "RunId is empty or spans lines; use the run's identifier, for example its name.";
        }

        if (Attempt < 1)
        {
            yield return $"Attempt is {Attempt}; attempts count from 1.";
        }

        if (string.IsNullOrWhiteSpace(Command))
        {
            yield return "Command is empty; name the program the step runs (for example python3 or ./train.sh).";
        }

        if (Timeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            yield return $"Timeout is {timeout}; use a positive duration, or none for no limit.";
        }

        foreach (var name in Environment.Keys)
        {
            if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
            {
                yield return $"Environment variable name '{name}' is invalid: it must be non-empty, without '=' or NUL.";
            }
        }
    }

    /// <summary>What an executor does first: refuse a missing or invalid launch.</summary>
    /// <exception cref="ArgumentException">The launch is invalid; the message lists every problem.</exception>
    public static void ThrowIfInvalid(StepLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var problems = launch.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException($"The launch of step {launch.Namespace}/{launch.StepName} is invalid: {string.Join(" ", problems)}", nameof(launch));
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$")]
    private static partial Regex Name();
}

/// <summary>What the node offers a step, passed to it as <c>FLUID_*</c> environment variables.</summary>
public sealed record StepNodeContext
{
    /// <summary>The Unix socket of the node's object store (<c>FLUID_OBJECTSTORE_SOCKET</c>).</summary>
    public string? ObjectStoreSocket { get; init; }

    /// <summary>
    /// The Unix socket of the node's cache agent (<c>FLUID_CACHE_SOCKET</c>), where the step reads datasets cached on
    /// the node; in the object store socket's directory, which a step's container mounts.
    /// </summary>
    public string? CacheAgentSocket { get; init; }

    /// <summary>The dataset the step works on (<c>FLUID_DATASET</c>).</summary>
    public string? DatasetName { get; init; }

    /// <summary>Where the dataset's files are on this node (<c>FLUID_DATASET_PATH</c>).</summary>
    public string? DatasetPath { get; init; }
}

/// <summary>The environment variables every step gets: the contract between executors and the step SDK.</summary>
public static class StepEnvironmentVariables
{
    public const string ObjectStoreSocket = "FLUID_OBJECTSTORE_SOCKET";
    public const string CacheAgentSocket = "FLUID_CACHE_SOCKET";
    public const string Dataset = "FLUID_DATASET";
    public const string DatasetPath = "FLUID_DATASET_PATH";
    public const string Node = "FLUID_NODE";
    public const string Step = "FLUID_STEP";
    public const string Namespace = "FLUID_NAMESPACE";
    public const string RunId = "FLUID_RUN_ID";
    public const string Attempt = "FLUID_ATTEMPT";

    /// <summary>The variables of a launch, unset context values left out.</summary>
    public static IReadOnlyDictionary<string, string> For(StepLaunch launch)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Node] = launch.NodeName,
            [Step] = launch.StepName,
            [Namespace] = launch.Namespace,
            [RunId] = launch.RunId,
            [Attempt] = launch.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        AddIfSet(variables, ObjectStoreSocket, launch.Context.ObjectStoreSocket);
        AddIfSet(variables, CacheAgentSocket, launch.Context.CacheAgentSocket);
        AddIfSet(variables, Dataset, launch.Context.DatasetName);
        AddIfSet(variables, DatasetPath, launch.Context.DatasetPath);
        return variables;
    }

    private static void AddIfSet(Dictionary<string, string> variables, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            variables[name] = value;
        }
    }
}

using k8s.Models;
using System.Text.Json.Serialization;
using Fluid.Aspire.Contracts.Serialization;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Operations;

/// <summary>
/// A processing step: a command or a .NET method run on a node near its data (the dataset's cache and the
/// object-store objects it reads). Fluid's DataProcess, with processors that suit .NET instead of pod templates.
/// </summary>
public sealed class DataProcess : Operation<DataProcessSpec>
{
    /// <summary>An empty step.</summary>
    public DataProcess()
        : base(ResourceKinds.ApiVersion, nameof(DataProcess))
    {
    }

    /// <inheritdoc cref="Resource.Clone" />
    public override DataProcess Clone() => ResourceJson.Clone(this);
}

/// <summary>What a step processes, with what, and with how much.</summary>
public sealed class DataProcessSpec : OperationSpec
{
    /// <summary>The dataset the step works on; it must be in the step's namespace.</summary>
    [Required(Example = "{\"name\": \"housing\", \"mountPath\": \"/data\"}")]
    public DatasetReference? Dataset { get; set; }

    /// <summary>What runs: exactly one of a command or a method.</summary>
    [Required(Example = "{\"command\": {\"command\": \"python3\", \"args\": [\"train.py\"]}}")]
    public ProcessorSpec? Processor { get; set; }

    /// <summary>
    /// Kubernetes' requests and limits of the step (cpu, memory, …), set on its pod. The step runs only on a node
    /// whose allocatable, less what its running steps request, holds the requests; a cluster's kubelet enforces the
    /// limits, a simulated node does not.
    /// </summary>
    public V1ResourceRequirements? Resources { get; set; }

    /// <summary>The object-store objects the step reads, so that it runs where they are (data-locality scheduling).</summary>
    [ObjectName]
    public List<string> Inputs { get; set; } = [];

    /// <summary>Seconds after which a run is stopped and Failed; no limit when unset.</summary>
    [Range(1, Example = "3600")]
    public int? TimeoutSeconds { get; set; }
}

/// <summary>The dataset of a step, and where the step sees it.</summary>
public sealed class DatasetReference
{
    /// <summary>The dataset's name.</summary>
    [Required(Example = "housing")]
    [DnsLabel(Example = "housing")]
    public string Name { get; set; } = "";

    /// <summary>The dataset's namespace; it must be the step's own (as in Fluid), which is used when unset.</summary>
    [DnsLabel(Example = "team-a")]
    public string? Namespace { get; set; }

    /// <summary>The absolute path where the step sees the dataset, e.g. <c>/data</c>.</summary>
    [AbsolutePath]
    public string? MountPath { get; set; }

    /// <summary>A relative path within the dataset to show instead of its root, e.g. <c>raw/2025</c>.</summary>
    [RelativePath]
    public string? SubPath { get; set; }
}

/// <summary>What runs; exactly one of <see cref="Command"/> and <see cref="Method"/>.</summary>
[OneOf(nameof(Command), nameof(Method), Example = "{\"command\": {\"command\": \"python3\", \"args\": [\"train.py\"]}}")]
public sealed class ProcessorSpec
{
    /// <summary>An executable with arguments.</summary>
    public CommandProcessor? Command { get; set; }

    /// <summary>A static .NET method in an assembly.</summary>
    public MethodProcessor? Method { get; set; }
}

/// <summary>An executable with arguments, environment and working directory.</summary>
public sealed class CommandProcessor
{
    /// <summary>The executable: a path, or a name looked up on PATH.</summary>
    [Required(Example = "python3")]
    public string Command { get; set; } = "";

    /// <summary>Its arguments.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Environment variables added to the node's.</summary>
    public Dictionary<string, string> Env { get; set; } = [];

    /// <summary>The absolute working directory; the dataset's mount path, else a scratch directory, when unset.</summary>
    [AbsolutePath]
    public string? WorkingDir { get; set; }

    /// <summary>The container image that has the executable: required on a cluster's nodes, unused on simulated ones, which run the executable directly.</summary>
    public string? Image { get; set; }
}

/// <summary>A static .NET method, run in a host process.</summary>
public sealed class MethodProcessor
{
    /// <summary>The path of the assembly (.dll) that has the method.</summary>
    [Required(Example = "/app/Steps.dll")]
    public string Assembly { get; set; } = "";

    /// <summary>The full name of the type, e.g. <c>Housing.Steps</c>.</summary>
    [Required(Example = "Housing.Steps")]
    public string Type { get; set; } = "";

    /// <summary>The name of the static method, e.g. <c>Preprocess</c>.</summary>
    [Required(Example = "Preprocess")]
    public string Method { get; set; } = "";

    /// <summary>The executable that hosts the method (loads the assembly and calls it); the node's own step host when unset.</summary>
    public string? Program { get; set; }

    /// <summary>Arguments passed to the method's host after the step's own, e.g. the pipeline's settings.</summary>
    public List<string> Args { get; set; } = [];

    /// <summary>Environment variables added to the node's.</summary>
    public Dictionary<string, string> Env { get; set; } = [];

    /// <summary>
    /// The environment variable that tells a program the image it runs in (the Kubernetes publisher sets it), which
    /// the SDK makes the <see cref="Image"/> of the program's method steps.
    /// </summary>
    public const string ProgramImageVariable = "FLUID_PROGRAM_IMAGE";

    /// <summary>The container image that has the program and the assembly: required on a cluster's nodes, unused on simulated ones.</summary>
    public string? Image { get; set; }
}

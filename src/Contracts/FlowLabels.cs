namespace Fluid.Aspire.Contracts;

/// <summary>
/// The labels that tie steps and objects to their dataset, run and place in a flow: the SDK writes them, the
/// controller and the fluid tool read them. Defined here once, so that writer and readers cannot drift apart.
/// </summary>
public static class FlowLabels
{
    /// <summary>The dataset a step, runtime or object belongs to, as <see cref="DatasetValue"/>; its clean-up deletes what carries it.</summary>
    public const string Dataset = "fluid.io/dataset";

    /// <summary>The run a step (or an object a step put) belongs to: the run id given to <c>RunAsync</c>.</summary>
    public const string Run = "fluid.io/run";

    /// <summary>A step's position in its flow, from 0.</summary>
    public const string FlowStep = "fluid.io/flow-step";

    /// <summary>The step that put an object.</summary>
    public const string Step = "fluid.io/step";

    /// <summary>The annotation that describes a step's processor for people (a method's or command's name).</summary>
    public const string ProcessorAnnotation = "fluid.io/processor";

    /// <summary>
    /// The W3C <c>traceparent</c> of the run a step belongs to: the controller gives it to the step's process as
    /// <c>TRACEPARENT</c>, so that a run and all its steps are one trace.
    /// </summary>
    public const string TraceParentAnnotation = "fluid.io/traceparent";

    /// <summary>The environment variable that carries <see cref="TraceParentAnnotation"/> into a step's process.</summary>
    public const string TraceParentVariable = "TRACEPARENT";

    /// <summary>The value of <see cref="Dataset"/>: <c>{namespace}.{name}</c> (a label value cannot hold a slash).</summary>
    public static string DatasetValue(string namespaceName, string name) => $"{namespaceName}.{name}";
}

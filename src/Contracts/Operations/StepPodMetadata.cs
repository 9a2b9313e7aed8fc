namespace Fluid.Aspire.Contracts.Operations;

/// <summary>
/// What marks a step's pod: the controller writes it, and the controller (after a restart) and the fluid tool find a
/// step's pods by it. The run and step are annotations because run ids and step names outgrow label values.
/// </summary>
public static class StepPodMetadata
{
    /// <summary>The label on every step pod: the selector of the pods the controller made.</summary>
    public const string ManagedBy = "app.kubernetes.io/managed-by";

    /// <summary>The value of <see cref="ManagedBy"/> on step pods.</summary>
    public const string ManagedByValue = "fluid-aspire-controller";

    /// <summary><see cref="ManagedBy"/> as a label selector.</summary>
    public const string Selector = $"{ManagedBy}={ManagedByValue}";

    /// <summary>The DataProcess whose attempt the pod runs.</summary>
    public const string StepAnnotation = "data.fluid-aspire.io/step";

    /// <summary>The run (<see cref="FlowLabels.Run"/>, or the step's own name and uid) the attempt belongs to.</summary>
    public const string RunAnnotation = "data.fluid-aspire.io/run";

    /// <summary>Which attempt of the step in its run, from 1.</summary>
    public const string AttemptAnnotation = "data.fluid-aspire.io/attempt";

    /// <summary>The name of the pod's one container, as <c>kubectl logs -c</c> names it.</summary>
    public const string Container = "step";
}

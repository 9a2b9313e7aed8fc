using Aspire.Hosting.ApplicationModel;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// A Kubernetes cluster as a compute environment of the app model: <c>aspire publish</c> writes a Helm chart and plain
/// manifests for it, and <c>aspire deploy</c> installs the chart with Helm.
/// </summary>
public sealed class FluidKubernetesEnvironmentResource(string name) : Resource(name), IComputeEnvironmentResource
{
    /// <summary>The configuration key of the kubeconfig context that <c>aspire deploy</c> uses; the current context when unset.</summary>
    public const string ContextSetting = "Fluid:Kubernetes:Context";

    /// <summary>How the chart is named and where it is installed.</summary>
    public HelmChartSettings HelmChart { get; } = new(name);

    /// <summary>The name of the publish step, <c>publish-{name}</c>, which the <c>publish</c> step requires.</summary>
    public string PublishStepName => $"publish-{Name}";

    /// <summary>The name of the deploy step, <c>deploy-{name}</c>, which the <c>deploy</c> step requires.</summary>
    public string DeployStepName => $"deploy-{Name}";

}

/// <summary>The chart's identity and where <c>aspire deploy</c> installs it.</summary>
public sealed class HelmChartSettings
{
    internal HelmChartSettings(string environmentName)
    {
        Name = environmentName;
        ReleaseName = environmentName;
    }

    /// <summary>The chart name in <c>Chart.yaml</c>; the environment's name by default.</summary>
    public string Name { get; set; }

    /// <summary>The chart version (SemVer 2) in <c>Chart.yaml</c>.</summary>
    public string Version { get; set; } = "0.1.0";

    /// <summary>The version of the application the chart installs, <c>appVersion</c> in <c>Chart.yaml</c>.</summary>
    public string AppVersion { get; set; } = Mapping.StackComponent.ImageTag;

    /// <summary>The namespace <c>aspire deploy</c> installs into (created if missing).</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>The Helm release name <c>aspire deploy</c> installs as.</summary>
    public string ReleaseName { get; set; }
}

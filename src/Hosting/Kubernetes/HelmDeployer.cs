using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.Pipelines;
using Fluid.Aspire.Contracts.Kubernetes;
using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Hosting.Kubernetes;

/// <summary>
/// <c>aspire deploy</c>'s step: checks that the cluster answers, then runs <c>helm upgrade --install</c> of the
/// published chart into the configured namespace.
/// </summary>
internal static class HelmDeployer
{
    /// <summary>The configuration key that names the helm binary when it is not on PATH.</summary>
    public const string HelmSetting = "Fluid:Kubernetes:Helm";

    /// <summary>The configuration key that names a values file applied over the chart's own, e.g. with the secrets.</summary>
    public const string ValuesSetting = "Fluid:Kubernetes:Values";

    /// <summary>How long the cluster may take to answer before deploying gives up.</summary>
    public static readonly TimeSpan ReachTimeout = TimeSpan.FromSeconds(15);

    public static async Task DeployAsync(FluidKubernetesEnvironmentResource environment, string outputDirectory, PipelineStepContext context)
    {
        var configuration = context.Services.GetRequiredService<IConfiguration>();
        var target = ClusterTarget.Resolve(Environment.GetEnvironmentVariable("KUBECONFIG"), configuration[FluidKubernetesEnvironmentResource.ContextSetting]);
        await target.EnsureReachableAsync(ReachTimeout, context.CancellationToken).ConfigureAwait(false);

        var chart = environment.HelmChart;
        var helm = Executable(configuration[HelmSetting]);
        var chartDirectory = Path.Combine(outputDirectory, "chart");
        // Helm reads KUBECONFIG itself, merging a list of files as kubectl does.
        List<string> arguments =
        [
            "upgrade", "--install", chart.ReleaseName, chartDirectory,
            "--namespace", chart.Namespace, "--create-namespace",
            "--wait", "--timeout", "10m",
        ];
        if (configuration[ValuesSetting] is { Length: > 0 } valuesFile)
        {
            arguments.AddRange(["-f", File.Exists(valuesFile) ? Path.GetFullPath(valuesFile)
                : throw new DistributedApplicationException($"{ValuesSetting} is '{valuesFile}', but there is no file there; write your values (secrets included) into it, or unset the setting.")]);
        }

        if (target.Context is { } kubeContext)
        {
            arguments.AddRange(["--kube-context", kubeContext]);
        }

        context.Logger.LogInformation("Running {Helm} {Arguments}", helm, string.Join(' ', arguments));
        var (exitCode, output) = await RunAsync(helm, arguments, context.CancellationToken).ConfigureAwait(false);
        context.Logger.LogInformation("{Output}", output);
        if (exitCode != 0)
        {
            throw new DistributedApplicationException(
                $"helm upgrade --install of '{chart.ReleaseName}' into namespace '{chart.Namespace}' failed (exit code {exitCode}): {output.Trim()}");
        }
    }

    private static string Executable(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return File.Exists(configured) ? configured
                : throw new DistributedApplicationException($"{HelmSetting} is '{configured}', but there is no file there; install Helm 3 or 4 (https://helm.sh/docs/intro/install/) or correct the setting.");
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, "helm"))
            .FirstOrDefault(File.Exists)
            ?? throw new DistributedApplicationException(
                $"helm was not found on PATH; install Helm 3 or 4 (https://helm.sh/docs/intro/install/) or set {HelmSetting} (environment variable Fluid__Kubernetes__Helm) to the binary.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new DistributedApplicationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output.ConfigureAwait(false) + await error.ConfigureAwait(false));
    }
}

/// <summary>The cluster a deploy goes to: the kubeconfig files (merged as kubectl merges them) and, optionally, one of their contexts.</summary>
internal sealed record ClusterTarget(IReadOnlyList<string> KubeconfigFiles, string? Context)
{
    /// <summary>
    /// The files of <paramref name="kubeconfigVariable"/> (a <c>KUBECONFIG</c>-style list), else <c>~/.kube/config</c>,
    /// as kubectl and Helm read them.
    /// </summary>
    public static ClusterTarget Resolve(string? kubeconfigVariable, string? context)
    {
        return new ClusterTarget(Kubeconfig.Files(kubeconfigVariable), string.IsNullOrWhiteSpace(context) ? null : context);
    }

    private string Describe =>
        $"{(Context is null ? "the current context" : $"context '{Context}'")} of kubeconfig '{string.Join(Path.PathSeparator, KubeconfigFiles)}'";

    /// <summary>Asks the cluster for its version, so that a deploy fails in seconds, naming what it tried, when nothing answers.</summary>
    /// <exception cref="DistributedApplicationException">The kubeconfig cannot be read, names no such context, or its server does not answer in time.</exception>
    public async Task EnsureReachableAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var existing = KubeconfigFiles.Where(File.Exists).Select(f => new FileInfo(f)).ToArray();
        if (existing.Length == 0)
        {
            throw new DistributedApplicationException(
                $"There is no kubeconfig at '{string.Join(Path.PathSeparator, KubeconfigFiles)}'. Point KUBECONFIG at your cluster's kubeconfig file, or create one with your cluster's tool (e.g. 'kind export kubeconfig', 'az aks get-credentials').");
        }

        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(Kubeconfig.Merge(existing), currentContext: Context);
        }
        catch (KubeConfigException ex)
        {
            throw new DistributedApplicationException(
                $"Cannot use {Describe}: {ex.Message} Set {FluidKubernetesEnvironmentResource.ContextSetting} (environment variable Fluid__Kubernetes__Context) to one of its contexts ('kubectl config get-contexts' lists them).", ex);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        configuration.HttpClientTimeout = timeout;
        try
        {
            using var client = new k8s.Kubernetes(configuration);
            await client.Version.GetCodeAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is HttpRequestException or OperationCanceledException or k8s.Autorest.HttpOperationException)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : ex.Message;
            throw new DistributedApplicationException(
                $"Cannot reach the Kubernetes API at {configuration.Host} ({Describe}): {reason}. Check that the cluster is running and that this is " +
                $"the cluster you mean ('kubectl cluster-info'), or choose another context with {FluidKubernetesEnvironmentResource.ContextSetting}.", ex);
        }
    }
}

using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Fluid.Aspire.Contracts.Kubernetes;

/// <summary>
/// How the SDK, the CLI, the controller and the publisher find a Kubernetes API, as kubectl does: a kubeconfig named
/// explicitly, else the files of <c>KUBECONFIG</c> (merged), else the pod's own service account when running in a
/// cluster, else <c>~/.kube/config</c>; and within it the current context unless one is named.
/// </summary>
public static class Kubeconfig
{
    /// <summary>The environment variable kubectl reads: a list of files separated by ':'.</summary>
    public const string Variable = "KUBECONFIG";

    /// <summary>The kubeconfig kubectl uses when nothing names one.</summary>
    public static string DefaultFile => Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    /// <summary>The files of a <c>KUBECONFIG</c>-style list, else <c>~/.kube/config</c>.</summary>
    public static IReadOnlyList<string> Files(string? list)
    {
        var files = (list ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFullPath).ToList();
        return files.Count == 0 ? [DefaultFile] : files;
    }

    /// <summary>Merges kubeconfig files as kubectl does: the first file that names a cluster, user, context or current context wins.</summary>
    public static K8SConfiguration Merge(IReadOnlyList<FileInfo> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var configurations = files.Select(file => KubernetesClientConfiguration.LoadKubeConfig(file)).ToList();
        var merged = configurations[0];
        merged.Clusters = [.. configurations.SelectMany(c => c.Clusters ?? []).DistinctBy(c => c.Name)];
        merged.Users = [.. configurations.SelectMany(c => c.Users ?? []).DistinctBy(u => u.Name)];
        merged.Contexts = [.. configurations.SelectMany(c => c.Contexts ?? []).DistinctBy(c => c.Name)];
        merged.CurrentContext = configurations.Select(c => c.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c));
        return merged;
    }

    /// <summary>
    /// The client configuration: <paramref name="file"/> when given, else <c>$KUBECONFIG</c>, else in-cluster, else
    /// <c>~/.kube/config</c>; with <paramref name="context"/>, or the file's current one.
    /// </summary>
    /// <exception cref="InvalidOperationException">No kubeconfig exists where it was looked for, or it has no such context; the message says what to do.</exception>
    public static KubernetesClientConfiguration Load(string? file = null, string? context = null)
    {
        var list = string.IsNullOrWhiteSpace(file) ? Environment.GetEnvironmentVariable(Variable) : file;
        if (string.IsNullOrWhiteSpace(list) && KubernetesClientConfiguration.IsInCluster())
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        var files = Files(list);
        var existing = files.Where(File.Exists).Select(f => new FileInfo(f)).ToArray();
        if (existing.Length == 0)
        {
            throw new InvalidOperationException(
                $"There is no kubeconfig at '{string.Join(Path.PathSeparator, files)}'. Start the local stack with ./run.sh --dashboard, which writes " +
                $"artifacts/kubeconfig, and point {Variable} (or --kubeconfig) at it; or point it at your cluster's kubeconfig.");
        }

        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigObject(Merge(existing), currentContext: string.IsNullOrWhiteSpace(context) ? null : context);
        }
        catch (KubeConfigException ex)
        {
            throw new InvalidOperationException(
                $"Cannot use {(string.IsNullOrWhiteSpace(context) ? "the current context" : $"context '{context}'")} of kubeconfig '{string.Join(Path.PathSeparator, files)}': {ex.Message} " +
                "('kubectl config get-contexts' lists its contexts.)", ex);
        }
    }
}

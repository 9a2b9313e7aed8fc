using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Fluid.Aspire.Contracts.Kubernetes;

/// <summary>Where a kubeconfig was found, in the order <see cref="Kubeconfig.Choose"/> looks.</summary>
public enum KubeconfigOrigin
{
    /// <summary>Named by the caller (<c>--kubeconfig</c>, a connection string, a setting).</summary>
    Named,

    /// <summary>The files of <c>KUBECONFIG</c>.</summary>
    Environment,

    /// <summary>The pod's own service account.</summary>
    InCluster,

    /// <summary>The running local stack's (<see cref="Kubeconfig.LocalStackFile"/>).</summary>
    LocalStack,

    /// <summary><c>~/.kube/config</c>.</summary>
    Default,
}

/// <summary>The kubeconfig files to use and where they came from (none for <see cref="KubeconfigOrigin.InCluster"/>).</summary>
public sealed record KubeconfigChoice(KubeconfigOrigin Origin, IReadOnlyList<string> Files);

/// <summary>
/// How the SDK, the CLI, the controller and the publisher find a Kubernetes API, as kubectl does, with one step of
/// ours: a kubeconfig named explicitly, else the files of <c>KUBECONFIG</c> (merged), else the pod's own service
/// account when running in a cluster, else the running local stack's, else <c>~/.kube/config</c>; and within it the
/// current context unless one is named.
/// </summary>
public static class Kubeconfig
{
    /// <summary>The environment variable kubectl reads: a list of files separated by ':'.</summary>
    public const string Variable = "KUBECONFIG";

    /// <summary>The kubeconfig kubectl uses when nothing names one.</summary>
    public static string DefaultFile => Path.Combine(Home, ".kube", "config");

    /// <summary>
    /// Where the local stack (<c>./run.sh</c> on its default state directory) publishes its kubeconfig while its API
    /// server runs, and removes it when the server stops: what the CLI and the SDK use when nothing names another.
    /// </summary>
    public static string LocalStackFile => Path.Combine(Home, ".fluid", "stack", "kubeconfig");

    private static string Home => System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);

    /// <summary>Which kubeconfig <see cref="Load"/> reads for <paramref name="file"/> (a file or a list; null for none).</summary>
    public static KubeconfigChoice Choose(string? file = null)
    {
        if (!string.IsNullOrWhiteSpace(file))
        {
            return new KubeconfigChoice(KubeconfigOrigin.Named, Files(file));
        }

        if (System.Environment.GetEnvironmentVariable(Variable) is { } list && !string.IsNullOrWhiteSpace(list))
        {
            return new KubeconfigChoice(KubeconfigOrigin.Environment, Files(list));
        }

        if (KubernetesClientConfiguration.IsInCluster())
        {
            return new KubeconfigChoice(KubeconfigOrigin.InCluster, []);
        }

        return File.Exists(LocalStackFile)
            ? new KubeconfigChoice(KubeconfigOrigin.LocalStack, [LocalStackFile])
            : new KubeconfigChoice(KubeconfigOrigin.Default, [DefaultFile]);
    }

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
    /// The name of the extension of a cluster entry in which the local stack's API server writes where its object stores'
    /// registry is (<c>registry: Endpoints=…;Prefix=…</c>), so that a program with that kubeconfig, and no other
    /// setting, finds this machine's object store.
    /// </summary>
    public const string StackExtension = "fluid.io/stack";

    /// <summary>The key of the registry's connection string in <see cref="StackExtension"/>.</summary>
    public const string RegistryKey = "registry";

    /// <summary>
    /// The object stores' registry that the cluster of <paramref name="context"/> (else the current one) names in its
    /// <see cref="StackExtension"/>, in the kubeconfig <see cref="Choose"/> picks for <paramref name="file"/>; null when
    /// there is none (a real cluster's, or no kubeconfig at all).
    /// </summary>
    public static string? RegistryOf(string? file = null, string? context = null)
    {
        var choice = Choose(file);
        var existing = choice.Files.Where(File.Exists).Select(f => new FileInfo(f)).ToArray();
        if (choice.Origin == KubeconfigOrigin.InCluster || existing.Length == 0)
        {
            return null;
        }

        var merged = Merge(existing);
        var contextName = string.IsNullOrWhiteSpace(context) ? merged.CurrentContext : context;
        var clusterName = merged.Contexts?.FirstOrDefault(c => c.Name == contextName)?.ContextDetails?.Cluster;
        var extension = merged.Clusters?.FirstOrDefault(c => c.Name == clusterName)?.ClusterEndpoint?.Extensions?
            .FirstOrDefault(e => e.Name == StackExtension)?.Extension;
        // YAML maps come back as dictionaries of objects.
        return extension is System.Collections.IDictionary fields && fields[RegistryKey] is string registry && registry.Length > 0 ? registry : null;
    }

    /// <summary>
    /// The client configuration of the kubeconfig <see cref="Choose"/> picks for <paramref name="file"/>; with
    /// <paramref name="context"/>, or the file's current one.
    /// </summary>
    /// <exception cref="InvalidOperationException">No kubeconfig exists where it was looked for, or it has no such context; the message says what to do.</exception>
    public static KubernetesClientConfiguration Load(string? file = null, string? context = null)
    {
        var choice = Choose(file);
        if (choice.Origin == KubeconfigOrigin.InCluster)
        {
            return KubernetesClientConfiguration.InClusterConfig();
        }

        var files = choice.Files;
        var existing = files.Where(File.Exists).Select(f => new FileInfo(f)).ToArray();
        if (existing.Length == 0)
        {
            throw new InvalidOperationException(
                $"There is no kubeconfig at '{string.Join(Path.PathSeparator, files)}'. Start the local stack with ./run.sh --dashboard, which is found " +
                $"while it runs ({LocalStackFile}); or point {Variable} (or --kubeconfig) at your cluster's kubeconfig.");
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

using System.Text.Json;
using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Sdk;

/// <summary>
/// Where the stack is and which namespace to work in, as the Python SDK's ClientConfig: the Kubernetes API (datasets,
/// runtimes, steps and events live there, on a laptop as on a cluster) and, for programs on a node of the local
/// stack, the object stores' registry.
/// </summary>
public sealed class ClientConfig
{
    /// <summary>The environment variable the AppHost (and the controller, for steps) sets.</summary>
    public const string ConnectionVariable = "ConnectionStrings__fluid";

    /// <summary>The namespace of the datasets and steps; <c>default</c>.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>
    /// The kubeconfig of the Kubernetes API, as the Python SDK's <c>kube_config_file</c>. Default: the one the
    /// connection string names (the AppHost's does), else <c>$KUBECONFIG</c>, else the pod's service account in a
    /// cluster, else the running local stack's (<c>~/.fluid/stack/kubeconfig</c>), else <c>~/.kube/config</c>.
    /// </summary>
    public string? KubeConfigFile { get; set; }

    /// <summary>The kubeconfig context to use; its current context by default.</summary>
    public string? Context { get; set; }

    /// <summary>
    /// The local stack's connection string (<c>Endpoints=http://…;Prefix=/fluid;Kubeconfig=…;Controller=http://…</c>),
    /// which the AppHost gives the programs it runs: its kubeconfig, the object stores' registry (to find this
    /// machine's store) and the controller (step logs). Default: <c>$ConnectionStrings__fluid</c>, else
    /// <c>$FLUID_ETCD</c>, else <c>connectionString</c> in ~/.fluid/config.json; none is needed on a cluster.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The Unix socket of this node's object store, for <see cref="FluidClient.ConnectObjectStoreAsync"/>. Default:
    /// <c>$FLUID_OBJECTSTORE_SOCKET</c> (set for steps, and for pipeline programs on a cluster, whose pod's host name is
    /// not its node's); else the store is found in the stack's registry by this machine's name.
    /// </summary>
    public string? ObjectStoreSocket { get; set; } = Environment.GetEnvironmentVariable(Fluid.Aspire.ObjectStore.Client.ObjectStoreClientOptions.SocketVariable) is { Length: > 0 } socket ? socket : null;

    /// <summary>The configuration file read when nothing else names the stack.</summary>
    public string ConfigFile { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fluid", "config.json");

    /// <summary>The stack's connection string, or null when nothing names one (a program on a cluster needs none).</summary>
    internal ClusterConnectionString? Resolve()
    {
        var text = ConnectionString
            ?? Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? Environment.GetEnvironmentVariable("FLUID_ETCD")
            ?? FromFile();
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return ClusterConnectionString.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"The Fluid connection string is invalid: {ex.Message}", ex);
        }
    }

    private string? FromFile()
    {
        if (!File.Exists(ConfigFile))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(ConfigFile));
        return document.RootElement.TryGetProperty("connectionString", out var value) ? value.GetString() : null;
    }
}

using Microsoft.Extensions.Configuration;

namespace Fluid.Aspire.AppHost;

/// <summary>
/// The AppHost's own settings (section <c>Fluid</c>), read from the command line and the environment before the
/// Aspire builder exists, because one of them decides whether the dashboard runs.
/// </summary>
internal sealed class AppHostOptions
{
    /// <summary>How many simulated nodes to run.</summary>
    public int Nodes { get; set; } = 2;

    /// <summary>Run the sample once, without the dashboard, and exit with its exit code.</summary>
    public bool Once { get; set; }

    /// <summary>How long a one-shot run may take before it is declared failed.</summary>
    public int TimeoutSeconds { get; set; } = 600;

    /// <summary>How long a dead daemon's registration lingers.</summary>
    public int LeaseTtlSeconds { get; set; } = 10;

    /// <summary>
    /// Where the stack keeps its state: certificates, kubeconfig, pod logs, and etcd's data in <c>etcd</c> under it
    /// (by default <c>.fluid/fluid</c> under the AppHost, and etcd's in <c>.fluid/etcd</c>).
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>Where etcd keeps its data; <c>.fluid/etcd</c> under the AppHost, or <c>etcd</c> under the state directory, by default.</summary>
    public string? EtcdDataDirectory { get; set; }

    /// <summary>Where the object stores' sockets go; <c>/var/run/fluid/fluid</c> (root) or <c>$XDG_RUNTIME_DIR/fluid/fluid</c> by default.</summary>
    public string? SocketDirectory { get; set; }

    /// <summary>The shared memory of each node's object store.</summary>
    public string ObjectStoreMemory { get; set; } = "1Gi";

    /// <summary>Fault in the object stores' memory at start: slower to start (about 1.6 s per GiB), faster first writes.</summary>
    public bool ObjectStoreReserveMemory { get; set; }

    /// <summary>Run the sample (the linear-regression pipeline) against the stack.</summary>
    public bool RunSample { get; set; } = true;

    /// <summary>Arguments for the sample, e.g. <c>--input data.csv --target price</c> (./run.sh passes its own on).</summary>
    public string[] SampleArgs { get; set; } = [];

    /// <summary>Where the stack's API server writes its kubeconfig; <c>.fluid/fluid/kubeconfig</c> under the AppHost by default.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>Start with an empty etcd.</summary>
    public bool CleanStart { get; set; }

    public static AppHostOptions Read(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        return configuration.GetSection("Fluid").Get<AppHostOptions>() ?? new AppHostOptions();
    }
}

using k8s.Models;
using Fluid.Aspire.Cluster.Kubernetes;
using Fluid.Aspire.Contracts.Kubernetes;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// The built <c>fluid-apiserver</c> as a child process on a test's etcd, over TLS on a fixed free port, writing its
/// kubeconfig into a directory of its own; it can be killed and restarted with the same port, authority and token.
/// </summary>
public sealed class ApiServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly EtcdServer _etcd;
    private readonly TemporaryDirectory _directory = new();
    private readonly string _token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private ChildProcess? _process;

    private ApiServerProcess(EtcdServer etcd) => _etcd = etcd;

    /// <summary>The kubeconfig with which KubernetesClient and kubectl reach the server.</summary>
    public string KubeconfigPath => Path.Combine(_directory.Path, "kubeconfig");

    public int Port { get; } = FreePort.Next();

    public ChildProcess Process => _process ?? throw new InvalidOperationException("The API server is not running.");

    public static async Task<ApiServerProcess> StartAsync(EtcdServer etcd, CancellationToken cancellationToken)
    {
        var server = new ApiServerProcess(etcd);
        try
        {
            await server.RestartAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A store on the server's API, as the SDK and the controller use it.</summary>
    public KubernetesResourceStore CreateStore() => new(CreateKubernetes());

    /// <summary>KubernetesClient's client of this API, for the built-in kinds.</summary>
    public k8s.Kubernetes CreateKubernetes() => new(Kubeconfig.Load(KubeconfigPath));

    /// <summary>Creates a namespace, which Kubernetes requires before anything is created in it.</summary>
    public async Task CreateNamespaceAsync(string name, CancellationToken cancellationToken)
    {
        using var kubernetes = new k8s.Kubernetes(Kubeconfig.Load(KubeconfigPath));
        await k8s.CoreV1OperationsExtensions.CreateNamespaceAsync(kubernetes.CoreV1, new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = name } }, cancellationToken: cancellationToken);
    }

    /// <summary>Starts the server (again, after <see cref="Kill"/>) and returns once its kubeconfig is written.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken)
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        File.Delete(KubeconfigPath);
        _process = ChildProcess.StartDotnet(RepositoryPaths.Output("src/ApiServer", "fluid-apiserver"), [], new Dictionary<string, string?>
        {
            ["ConnectionStrings__fluid"] = _etcd.ConnectionString().ToString(),
            ["ASPNETCORE_URLS"] = $"https://127.0.0.1:{Port}",
            ["Fluid__ApiServer__Token"] = _token,
            ["Fluid__ApiServer__Kubeconfig"] = KubeconfigPath,
            ["Fluid__ApiServer__CertificateDirectory"] = Path.Combine(_directory.Path, "tls"),
            ["Logging__LogLevel__Default"] = "Warning",
        });
        var process = _process;
        await Eventually.ReturnsAsync(() => File.Exists(KubeconfigPath) || process.HasExited, ready => ready, Patience, "the API server's kubeconfig", cancellationToken);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"The API server exited:\n{process.Output}");
        }
    }

    /// <summary>Kills the server (SIGKILL), leaving etcd and its kubeconfig as they are.</summary>
    public void Kill() => Process.Kill();

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync();
        }

        _directory.Dispose();
    }
}

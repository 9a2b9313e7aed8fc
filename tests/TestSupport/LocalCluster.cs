using System.Net.Http.Json;
using System.Text.Json;
using Fluid.Aspire.Cluster.Membership;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// A whole local stack for a test, from the built programs: a real etcd, the local Kubernetes API on it, per node an
/// object store daemon and a cache agent (so that nodes are ready), and the controller, each a child process that a test can kill and
/// restart. Nodes alternate between zone-a and zone-b in region local.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private static readonly string[] ReserveMemory = ["--reserve-memory"];
    private readonly List<ObjectStoreDaemon> _objectStores = [];
    private readonly List<ChildProcess> _cacheAgents = [];
    private readonly List<ChildProcess> _controllers = [];
    private readonly TemporaryDirectory _logs = new();

    private readonly IReadOnlyDictionary<string, string> _controllerSettings;

    private LocalCluster(EtcdServer etcd, ApiServerProcess apiServer, IReadOnlyDictionary<string, string>? controllerSettings)
    {
        Etcd = etcd;
        ApiServer = apiServer;
        _controllerSettings = controllerSettings ?? new Dictionary<string, string>();
        ControllerPort = FreePort.Next();
    }

    public EtcdServer Etcd { get; }

    /// <summary>The stack's Kubernetes API, where its resources are.</summary>
    public ApiServerProcess ApiServer { get; }

    public IReadOnlyList<ObjectStoreDaemon> ObjectStores => _objectStores;

    /// <summary>The nodes' cache agents (each its node's kubelet), in node order.</summary>
    public IReadOnlyList<ChildProcess> CacheAgents => _cacheAgents;

    /// <summary>The port of the first controller's HTTP API.</summary>
    public int ControllerPort { get; }

    public Uri ControllerUrl => new($"http://127.0.0.1:{ControllerPort}");

    /// <summary>Where node <paramref name="node"/>'s kubelet keeps the logs of its pods, <c>{namespace}/{pod}.log</c>.</summary>
    public string LogsDirectoryOf(string node) => Path.Combine(_logs.Path, "nodes", node);

    /// <summary>What a program (the SDK, a step) is given to find the stack.</summary>
    public string ConnectionString => $"{ServiceConnectionString};Controller={ControllerUrl.ToString().TrimEnd('/')}";

    /// <summary>What the stack's own services are given: etcd (the object stores' registry) and the API's kubeconfig.</summary>
    public string ServiceConnectionString => $"Endpoints={Etcd.ClientUrl.ToString().TrimEnd('/')};Prefix=/fluid;Kubeconfig={ApiServer.KubeconfigPath}";

    public ChildProcess Controller => _controllers[0];

    /// <param name="reserveMemory">Start the object stores with --reserve-memory: slower to start, faster first writes (benchmarks).</param>
    /// <param name="controllerSettings">Settings of the controllers, as environment variables, e.g. <c>Fluid__Controller__Workers</c>.</param>
    public static async Task<LocalCluster> StartAsync(
        int nodes, CancellationToken cancellationToken, bool controller = true, string objectStoreSize = "64Mi", bool reserveMemory = false,
        IReadOnlyDictionary<string, string>? controllerSettings = null)
    {
        var etcd = await EtcdServer.StartAsync(cancellationToken);
        ApiServerProcess apiServer;
        try
        {
            apiServer = await ApiServerProcess.StartAsync(etcd, cancellationToken);
        }
        catch
        {
            await etcd.DisposeAsync();
            throw;
        }

        var cluster = new LocalCluster(etcd, apiServer, controllerSettings);
        try
        {
            // The nodes' object stores start side by side: each waits for its own registration, not for the others'.
            var objectStores = Enumerable.Range(0, nodes).Select(i => ObjectStoreDaemon.StartAsync(cancellationToken, objectStoreSize, cluster.Etcd, $"node-{i}",
                options: ["--zone", ZoneOf(i), "--region", "local", "--kubeconfig", apiServer.KubeconfigPath, .. reserveMemory ? ReserveMemory : []])).ToList();
            try
            {
                await Task.WhenAll(objectStores);
            }
            finally
            {
                // Those that started are the cluster's to stop, even when another failed.
                cluster._objectStores.AddRange(objectStores.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            for (var i = 0; i < nodes; i++)
            {
                var node = $"node-{i}";
                var zone = ZoneOf(i);
                cluster._cacheAgents.Add(ChildProcess.StartDotnet(RepositoryPaths.Output("src/CacheAgent", "Fluid.Aspire.CacheAgent"), [], new Dictionary<string, string?>
                {
                    ["ConnectionStrings__fluid"] = cluster.ServiceConnectionString,
                    ["Fluid__Node__Name"] = node,
                    ["Fluid__Node__Register"] = "true",
                    ["Fluid__Node__Zone"] = zone,
                    ["Fluid__Node__Region"] = "local",
                    ["Fluid__Node__LeaseTtlSeconds"] = "3",
                    // The node's kubelet keeps its pods' logs here.
                    ["Fluid__Executor__LogsDirectory"] = cluster.LogsDirectoryOf(node),
                    // Cache runtimes' MEM tiers: this cluster's own, so that clusters side by side share no blocks.
                    ["Fluid__Cache__MemoryRoot"] = Path.Combine(cluster._logs.Path, "cache"),
                    ["Fluid__Cache__Socket"] = cluster.CacheAgentSocketOf(node),
                    ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                }));
            }

            if (controller)
            {
                await cluster.StartControllerAsync(cancellationToken);
                await cluster.WaitForReadyNodesAsync(nodes, cancellationToken);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The Unix socket where the node's steps read datasets through its cache agent.</summary>
    public string CacheAgentSocketOf(string node) => Path.Combine(_logs.Path, $"{node}.cache.sock");

    private static string ZoneOf(int node) => node % 2 == 0 ? "zone-a" : "zone-b";

    /// <summary>Starts the (first) controller again, on the same port, e.g. after killing it.</summary>
    public async Task<ChildProcess> StartControllerAsync(CancellationToken cancellationToken, int? port = null)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__fluid"] = ServiceConnectionString,
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port ?? ControllerPort}",
            ["Fluid__Controller__LeaderLeaseSeconds"] = "10",
            ["Logging__LogLevel__Default"] = "Information",
        };
        foreach (var (key, value) in _controllerSettings)
        {
            environment[key] = value;
        }

        var process = ChildProcess.StartDotnet(RepositoryPaths.Output("src/Controller", "Fluid.Aspire.Controller"), [], environment);
        if (_controllers.Count == 0 || port is not null)
        {
            _controllers.Add(process);
        }
        else
        {
            await _controllers[0].DisposeAsync();
            _controllers[0] = process;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Eventually.ReturnsAsync(async () =>
        {
            try
            {
                return (await http.GetAsync(new Uri($"http://127.0.0.1:{port ?? ControllerPort}/health"), cancellationToken)).IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return !process.HasExited && false;
            }
        }, healthy => healthy || process.HasExited, Patience, "the controller healthy", cancellationToken);
        return process.HasExited ? throw new InvalidOperationException($"The controller exited:\n{process.Output}") : process;
    }

    /// <summary>Whether the controller on <paramref name="port"/> leads.</summary>
    public static async Task<bool> IsLeaderAsync(int port, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var leader = await http.GetFromJsonAsync<JsonElement>(new Uri($"http://127.0.0.1:{port}/api/v1/leader"), cancellationToken);
        return leader.GetProperty("isLeader").GetBoolean();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _controllers.Concat(_cacheAgents))
        {
            await process.DisposeAsync();
        }

        foreach (var store in _objectStores)
        {
            await store.DisposeAsync();
        }

        await ApiServer.DisposeAsync();
        await Etcd.DisposeAsync();
        KillLeftoverSteps();
        _logs.Dispose();
    }

    private async Task WaitForReadyNodesAsync(int count, CancellationToken cancellationToken)
    {
        using var kubernetes = ApiServer.CreateKubernetes();
        await Eventually.ReturnsAsync(
            async () => (await ClusterNode.ReadAsync(kubernetes, "default", DateTimeOffset.UtcNow, cancellationToken: cancellationToken)).Count(n => n.Ready),
            ready => ready == count, Patience, $"{count} ready nodes", cancellationToken);
    }

    /// <summary>Steps run in sessions of their own, outliving a killed controller by design; a test must not leave them behind.</summary>
    private void KillLeftoverSteps()
    {
        foreach (var directory in Directory.Exists(_logs.Path) ? Directory.EnumerateFiles(_logs.Path, "*.attempt.json", SearchOption.AllDirectories) : [])
        {
            try
            {
                using var record = JsonDocument.Parse(File.ReadAllText(directory));
                foreach (var property in record.RootElement.EnumerateObject().Where(p => p.Name.Contains("pid", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Number))
                {
                    using var process = System.Diagnostics.Process.GetProcessById(property.Value.GetInt32());
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException or JsonException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }
        }
    }
}

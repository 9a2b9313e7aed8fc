using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Fluid.Aspire.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;

namespace Fluid.Aspire.ApiServer.Tests;

/// <summary>A real etcd and the local API server on a free port over TLS, its kubeconfig, and clients for it: HTTP and the real kubectl.</summary>
internal sealed class LocalApi : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    private readonly TemporaryDirectory _directory;

    private LocalApi(EtcdServer etcd, WebApplication app, TemporaryDirectory directory)
    {
        Etcd = etcd;
        App = app;
        _directory = directory;
        Url = Kubeconfig.KubeconfigWriter.ServerUrl(app.Services.GetRequiredService<IServer>());
    }

    public EtcdServer Etcd { get; }

    public WebApplication App { get; }

    public Uri Url { get; }

    public string KubeconfigPath => Path.Combine(_directory.Path, "kubeconfig");

    public string Directory => _directory.Path;

    public static async Task<LocalApi> StartAsync(CancellationToken cancellationToken, params (string Key, string Value)[] settings)
    {
        var etcd = await EtcdServer.StartAsync(cancellationToken);
        var directory = new TemporaryDirectory();
        var app = ApiServerHost.Build([], [
            KeyValuePair.Create("urls", (string?)"https://127.0.0.1:0"),
            KeyValuePair.Create("ConnectionStrings:fluid", (string?)etcd.ConnectionString().ToString()),
            KeyValuePair.Create("Fluid:ApiServer:Token", (string?)Token),
            KeyValuePair.Create("Fluid:ApiServer:Kubeconfig", (string?)Path.Combine(directory.Path, "kubeconfig")),
            KeyValuePair.Create("Fluid:ApiServer:CertificateDirectory", (string?)Path.Combine(directory.Path, "tls")),
            KeyValuePair.Create("Logging:LogLevel:Default", (string?)"Warning"),
            .. settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)),
        ]);
        await app.StartAsync(cancellationToken);
        return new LocalApi(etcd, app, directory);
    }

    /// <summary>An HTTP client that trusts the server's authority and sends the token (unless <paramref name="authenticated"/> is false).</summary>
    public HttpClient CreateClient(bool authenticated = true)
    {
        var authority = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(Directory, "tls", "ca.crt"));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(authority);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate!);
            },
        };
        var client = new HttpClient(handler) { BaseAddress = Url, Timeout = TimeSpan.FromMinutes(1) };
        if (authenticated)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return client;
    }

    /// <summary>Runs kubectl against this server; fails with its output unless it exits with 0.</summary>
    public Task<string> KubectlAsync(params string[] arguments) =>
        KubernetesTools.RunAsync(KubernetesTools.Kubectl, ["--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(Directory, "cache"), .. arguments]);

    /// <summary>
    /// Starts the cache agent of a simulated node against this server, which makes it the node's kubelet: it keeps the
    /// Node and runs the pods bound to it, with their logs under <paramref name="logs"/>.
    /// </summary>
    public ChildProcess StartNode(string name, string logs) =>
        ChildProcess.StartDotnet(RepositoryPaths.Output("src/CacheAgent", "Fluid.Aspire.CacheAgent"), [], new Dictionary<string, string?>
        {
            ["ConnectionStrings__fluid"] = $"{Etcd.ConnectionString()};Kubeconfig={KubeconfigPath}",
            ["Fluid__Node__Name"] = name,
            ["Fluid__Node__Register"] = "true",
            ["Fluid__Executor__LogsDirectory"] = logs,
            ["Fluid__Executor__TerminationGracePeriod"] = "00:00:02",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
        });

    /// <summary>Creates a namespace through the API.</summary>
    public Task CreateNamespaceAsync(string name) =>
        SendAsync(HttpMethod.Post, "/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, expected: 201);

    /// <summary>A field of an object in a namespace (ml unless given), by kubectl's jsonpath output.</summary>
    public async Task<string> JsonPathAsync(string resource, string jsonPath, string namespaceName = "ml") =>
        (await KubectlAsync("get", resource, "-n", namespaceName, "-o", $"jsonpath={jsonPath}")).Trim();

    /// <summary>Runs kubectl against this server and returns its exit code and output, whatever they are.</summary>
    public async Task<(int ExitCode, string Output)> TryKubectlAsync(params string[] arguments)
    {
        await using var process = ChildProcess.Start(KubernetesTools.Kubectl,
            ["--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(Directory, "cache"), .. arguments]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        return (exitCode, process.Output);
    }

    /// <summary>Starts kubectl in the background (e.g. <c>get -w</c>); the caller disposes it.</summary>
    public ChildProcess StartKubectl(params string[] arguments) =>
        ChildProcess.Start(KubernetesTools.Kubectl, ["--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(Directory, "cache"), .. arguments]);

    public async Task<JsonObject> SendAsync(HttpMethod method, string path, JsonNode? body = null, string contentType = "application/json", int expected = 200)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        }

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True((int)response.StatusCode == expected, $"{method} {path} answered {(int)response.StatusCode}, not {expected}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Etcd.DisposeAsync();
        _directory.Dispose();
    }
}

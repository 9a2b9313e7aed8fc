using Fluid.Aspire.Cluster.Etcd;
using k8s;
using k8s.KubeConfigModels;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.ApiServer.Kubeconfig;

/// <summary>
/// Writes a kubeconfig for this server once it listens (mode 0600, replaced atomically), so that kubectl and the SDK
/// reach it with <c>--kubeconfig</c> or <c>KUBECONFIG</c>; a restarted server on another port rewrites it. Publishes it
/// for the CLI and the SDK to find when asked (<see cref="ApiServerOptions.LocalStackKubeconfig"/>), until it stops.
/// </summary>
internal sealed partial class KubeconfigWriter(
    IServer server, ServingCertificate certificate, EtcdConnection etcd, IHostApplicationLifetime lifetime, IOptions<ApiServerOptions> options,
    ILogger<KubeconfigWriter> logger) : IHostedService
{
    private string? _written;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Write);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        // Only what this server published: another stack may have published its own since.
        if (options.Value.LocalStackKubeconfig is { Length: > 0 } published && _written is { } text
            && File.Exists(published) && File.ReadAllText(published) == text)
        {
            File.Delete(published);
            LogUnpublished(published);
        }

        return Task.CompletedTask;
    }

    /// <summary>The URL clients should use: the https address the server listens on, as 127.0.0.1 when it is a loopback name.</summary>
    public static Uri ServerUrl(IServer server)
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                "The API server listens on no https address, and kubectl sends its token over TLS only; set ASPNETCORE_URLS, e.g. https://127.0.0.1:6443.");
        var url = new UriBuilder(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (url.Host is "localhost" or "[::]" or "0.0.0.0" or "[::1]")
        {
            url.Host = "127.0.0.1";
        }

        return url.Uri;
    }

    /// <summary>
    /// A kubeconfig with one cluster, user and context, all named <paramref name="name"/>; its cluster names the object
    /// stores' <paramref name="registry"/> when there is one (<see cref="Contracts.Kubernetes.Kubeconfig.StackExtension"/>).
    /// </summary>
    public static K8SConfiguration Create(Uri server, string authorityPem, string token, string name, string? registry = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Config",
        CurrentContext = name,
        Clusters = [new k8s.KubeConfigModels.Cluster { Name = name, ClusterEndpoint = new ClusterEndpoint
        {
            Server = server.ToString().TrimEnd('/'),
            CertificateAuthorityData = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(authorityPem)),
            Extensions = registry is null ? null :
            [
                new NamedExtension
                {
                    Name = Contracts.Kubernetes.Kubeconfig.StackExtension,
                    Extension = new Dictionary<string, string> { [Contracts.Kubernetes.Kubeconfig.RegistryKey] = registry },
                },
            ],
        },
        }],
        Users = [new User { Name = name, UserCredentials = new UserCredentials { Token = token } }],
        Contexts = [new Context { Name = name, ContextDetails = new ContextDetails { Cluster = name, User = name, Namespace = "default" } }],
    };

    /// <summary>The etcd this server stores in, which also holds the object stores' registry: the stack's, as its programs are told.</summary>
    private string Registry() =>
        $"Endpoints={string.Join(',', etcd.ConnectionString.Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)))};Prefix={etcd.Prefix}";

    private void Write()
    {
        var settings = options.Value;
        if (string.IsNullOrEmpty(settings.Kubeconfig))
        {
            return;
        }

        var text = KubernetesYaml.Serialize(Create(ServerUrl(server), certificate.AuthorityPem, settings.Token, settings.ContextName, Registry()));
        foreach (var path in new[] { settings.Kubeconfig, settings.LocalStackKubeconfig }.Where(p => !string.IsNullOrEmpty(p)))
        {
            var full = Path.GetFullPath(path!);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            FileWrites.Replace(full, text, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            LogWritten(full);
        }

        _written = text;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote a kubeconfig for this API server to {Path} (kubectl --kubeconfig {Path} get fluid)")]
    private partial void LogWritten(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the local stack's kubeconfig {Path}: this API server stops")]
    private partial void LogUnpublished(string path);
}

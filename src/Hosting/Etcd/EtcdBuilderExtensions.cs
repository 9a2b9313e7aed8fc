using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Hosting.Etcd;

/// <summary>Adds etcd to an Aspire application.</summary>
public static class EtcdBuilderExtensions
{
    /// <summary>
    /// Adds a single-member etcd server, run from the <c>etcd</c> binary, listening on 127.0.0.1 on a free port. Its
    /// data lives under <c>.fluid/etcd/&lt;name&gt;</c> in the AppHost directory and survives restarts; see
    /// <see cref="WithCleanStart"/> and <see cref="WithDataDirectory"/>. Services receive the client URL as the
    /// connection string through <c>WithReference</c>.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <param name="port">A fixed client port; by default a free one is chosen.</param>
    /// <exception cref="DistributedApplicationException">The application runs and etcd is not installed.</exception>
    public static IResourceBuilder<EtcdResource> AddEtcd(
        this IDistributedApplicationBuilder builder, [ResourceName] string name, int? port = null)
    {
        // Only a running application needs the binary; publishing manifests for a cluster does not.
        var command = builder.ExecutionContext.IsRunMode
            ? EtcdExecutable.Locate(builder.Configuration[EtcdExecutable.PathSetting], Environment.GetEnvironmentVariable("PATH"))
            : "etcd";
        var dataDirectory = Path.Combine(builder.AppHostDirectory, ".fluid", "etcd", name);
        var etcd = new EtcdResource(name, command, builder.AppHostDirectory, dataDirectory);

        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(etcd, (e, _) =>
        {
            PrepareDataDirectory(etcd, e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(etcd));
            return Task.CompletedTask;
        });

        // Not proxied: watches and lease keep-alives are long-lived streams, and every hop adds latency to each write.
        return builder.AddResource(etcd)
            .WithEndpoint(port: port, targetPort: port, scheme: "http", name: EtcdResource.ClientEndpointName, isProxied: false)
            .WithEndpoint(scheme: "http", name: EtcdResource.PeerEndpointName, isProxied: false)
            .WithArgs(context =>
            {
                var clientUrl = EtcdResource.Url(etcd.ClientEndpoint);
                var peerUrl = EtcdResource.Url(etcd.PeerEndpoint);
                context.Args.Add("--name");
                context.Args.Add(etcd.Name);
                context.Args.Add("--data-dir");
                context.Args.Add(etcd.DataDirectory);
                context.Args.Add("--listen-client-urls");
                context.Args.Add(clientUrl);
                context.Args.Add("--advertise-client-urls");
                context.Args.Add(clientUrl);
                context.Args.Add("--listen-peer-urls");
                context.Args.Add(peerUrl);
                context.Args.Add("--initial-advertise-peer-urls");
                context.Args.Add(peerUrl);
                context.Args.Add("--initial-cluster");
                context.Args.Add(ReferenceExpression.Create($"{etcd.Name}={peerUrl}"));
                context.Args.Add("--logger");
                context.Args.Add("zap");
                context.Args.Add("--log-outputs");
                context.Args.Add("stdout");
            })
            .WithHttpHealthCheck("/health", endpointName: EtcdResource.ClientEndpointName)
            .WithIconName("Database");
    }

    /// <summary>Keeps etcd's data in <paramref name="path"/> instead of under the AppHost directory.</summary>
    public static IResourceBuilder<EtcdResource> WithDataDirectory(this IResourceBuilder<EtcdResource> builder, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        builder.Resource.DataDirectory = Path.GetFullPath(path, builder.ApplicationBuilder.AppHostDirectory);
        return builder;
    }

    /// <summary>Empties etcd's data directory once, before etcd first starts in this run of the AppHost.</summary>
    public static IResourceBuilder<EtcdResource> WithCleanStart(this IResourceBuilder<EtcdResource> builder, bool clean = true)
    {
        builder.Resource.CleanStart = clean;
        return builder;
    }

    private static void PrepareDataDirectory(EtcdResource etcd, ILogger logger)
    {
        if (etcd.CleanStart && Directory.Exists(etcd.DataDirectory))
        {
            logger.LogInformation("Clean start: deleting etcd data in {Directory}.", etcd.DataDirectory);
            Directory.Delete(etcd.DataDirectory, recursive: true);
        }

        // A restart of etcd from the dashboard must keep what it wrote in this run.
        etcd.CleanStart = false;

        // etcd wants a data directory that only its user can read.
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(etcd.DataDirectory);
        }
        else
        {
            Directory.CreateDirectory(etcd.DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}

using Fluid.Aspire.ApiServer.Collection;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kubeconfig;
using Fluid.Aspire.ApiServer.Storage;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Configuration;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.ApiServer;

/// <summary>
/// Builds <c>fluid-apiserver</c>: the Kubernetes API of a local stack, for this project's kinds and the built-in kinds
/// the control plane needs, stored in the stack's etcd. kubectl and KubernetesClient talk to it as to a cluster.
/// </summary>
public static class ApiServerHost
{
    /// <param name="args">Command-line arguments, as configuration.</param>
    /// <param name="settings">Configuration that wins over the rest.</param>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var certificateDirectory = builder.Configuration[$"{ApiServerOptions.SectionName}:{nameof(ApiServerOptions.CertificateDirectory)}"];
        var certificate = string.IsNullOrEmpty(certificateDirectory)
            ? ServingCertificate.CreateEphemeral(TimeProvider.System)
            : ServingCertificate.LoadOrCreate(certificateDirectory, TimeProvider.System);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate.Server));
        builder.AddServiceDefaults();
        builder.AddFluidCluster();
        var services = builder.Services;
        services.AddOptions<ApiServerOptions>().Bind(builder.Configuration.GetSection(ApiServerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiServerOptions>>(new ProblemsValidator<ApiServerOptions>(o => o.Validate()));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(certificate);
        services.AddSingleton<ObjectStorage>();
        services.AddSingleton<ObjectRegistry>();
        services.AddSingleton<OpenApiDocuments>();
        services.AddSingleton<ResourceEndpoints>();
        services.AddSingleton<PodLogs>();
        services.AddHostedService<DefaultNamespace>();
        services.AddHostedService<GarbageCollector>();
        services.AddHostedService<KubeconfigWriter>();

        var app = builder.Build();
        app.UseMiddleware<ApiMiddleware>();
        app.MapDefaultEndpoints();
        app.MapKubernetesApi();
        return app;
    }
}

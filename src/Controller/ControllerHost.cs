using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Cluster.Configuration;
using Fluid.Aspire.Controller.Caching;
using Fluid.Aspire.Controller.Events;
using Fluid.Aspire.Execution;
using Fluid.Aspire.Controller.Nodes;
using Fluid.Aspire.Controller.ObjectStores;
using Fluid.Aspire.Controller.Operations;
using Fluid.Aspire.Controller.Pods;
using Fluid.Aspire.Controller.Scheduling;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Controller;

/// <summary>Builds the controller: its caches of the cluster, the control loops under leader election, the executor and the HTTP API.</summary>
public static class ControllerHost
{
    /// <param name="args">Command-line arguments, as configuration.</param>
    /// <param name="clock">The clock of the control loops (timers, schedules); the system clock unless a test injects one.</param>
    /// <param name="settings">Configuration that wins over the rest.</param>
    public static WebApplication Build(string[] args, TimeProvider? clock = null, IEnumerable<KeyValuePair<string, string?>>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddServiceDefaults();
        builder.AddFluidCluster();
        builder.AddKubernetesApi();
        var services = builder.Services;
        // Every step is a pod, run by its node's kubelet: a real one on a cluster, the node's cache agent on a laptop.
        services.AddOptions<StepPodOptions>().Bind(builder.Configuration.GetSection(StepPodOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StepPodOptions>>(new ProblemsValidator<StepPodOptions>(o => o.Validate()));
        services.AddSingleton<PodExecutor>();
        services.AddSingleton<IStepExecutor>(sp => sp.GetRequiredService<PodExecutor>());
        services.AddOptions<ControllerOptions>().Bind(builder.Configuration.GetSection(ControllerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ControllerOptions>>(new ProblemsValidator<ControllerOptions>(o => o.Validate()));
        services.AddSingleton(clock ?? TimeProvider.System);
        services.AddSingleton<ObjectStoreView>();
        services.AddHostedService(sp => sp.GetRequiredService<ObjectStoreView>());
        services.AddHealthChecks().AddCheck<ObjectStoreView>("object-stores", tags: ["ready"]);
        services.AddSingleton<CacheAgents>();
        services.AddSingleton<MountSecrets>();
        services.AddHttpClient(nameof(CacheAgents));
        services.AddSingleton<EventRecorder>();
        services.AddSingleton(new StepScheduler());
        services.AddSingleton(sp => new NodeDirectory(
            sp.GetRequiredService<k8s.Kubernetes>(), ClusterBuilderExtensions.ControlPlaneNamespace(sp), sp.GetRequiredService<ILogger<NodeDirectory>>()));
        services.AddHostedService(sp => sp.GetRequiredService<NodeDirectory>());
        services.AddSingleton<SimulatedNodeStatus>();
        services.AddHostedService<LostNodePods>();
        services.AddHealthChecks().AddCheck<NodeDirectory>("node-directory", tags: ["ready"]);
        services.AddSingleton(sp => new LeaderElection(
            sp.GetRequiredService<k8s.Kubernetes>(),
            ClusterBuilderExtensions.ControlPlaneNamespace(sp),
            "fluid-controller",
            TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ControllerOptions>>().Value.LeaderLeaseSeconds),
            sp.GetRequiredService<ILogger<LeaderElection>>(),
            // The Lease is timed against the other candidates, whose clocks a test cannot drive: this process's
            // monotonic clock, as NodeDirectory times the nodes' leases, not the control loops' clock.
            TimeProvider.System));
        services.AddHostedService<ControlPlane>();

        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapGet("/api/v1/leader", (LeaderElection election) => new { election.Identity, election.IsLeader });
        return app;
    }
}

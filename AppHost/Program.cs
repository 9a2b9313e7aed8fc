using Fluid.Aspire.AppHost;
using Fluid.Aspire.Hosting;
using Fluid.Aspire.Hosting.Etcd;
using Fluid.Aspire.Hosting.Kubernetes;
using Fluid.Aspire.Hosting.Lifetime;

var options = AppHostOptions.Read(args);
var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    Args = args,
    DisableDashboard = options.Once,
    // Without the dashboard, the console is where resource output (the sample's result, any errors) can be seen.
    EnableResourceLogging = options.Once,
});

// What `aspire publish` writes (a Helm chart and manifests) and `aspire deploy` installs; see docs/kubernetes.md.
builder.AddFluidKubernetesEnvironment("k8s")
    .WithHelmChart(chart => chart.Name = chart.ReleaseName = "fluid");

IResourceBuilder<FluidResource> fluid;
StateDirectoryLock? stateLock = null;
try
{
    fluid = builder.AddFluid("fluid");
    if (options.StateDirectory is { } state)
    {
        fluid.WithStateDirectory(state);
    }

    fluid.WithNodes(options.Nodes)
        .WithLeaseTtl(TimeSpan.FromSeconds(options.LeaseTtlSeconds))
        .WithObjectStoreMemory(options.ObjectStoreMemory, options.ObjectStoreReserveMemory)
        .WithEtcd(etcd =>
        {
            if (options.EtcdDataDirectory is { } directory)
            {
                etcd.WithDataDirectory(directory);
            }

            etcd.WithCleanStart(options.CleanStart);
        });
    if (options.Kubeconfig is { } kubeconfig)
    {
        fluid.WithKubeconfig(kubeconfig);
    }

    if (options.SocketDirectory is { } sockets)
    {
        fluid.WithSocketDirectory(sockets);
    }

    if (builder.ExecutionContext.IsRunMode)
    {
        stateLock = StateDirectoryLock.Acquire(fluid.Resource.StateDirectory);
    }
}
catch (Exception ex) when (ex is DistributedApplicationException or ArgumentException)
{
    // A missing prerequisite (etcd not installed) or a stack already running on the same state: say what to do,
    // without a stack trace.
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}

if (options.RunSample)
{
    var sample = builder.AddProject<Projects.Fluid_Aspire_Samples_LinearRegression>("linear-regression")
        .WithReference(fluid)
        .WaitFor(fluid)
        .WithoutDevelopmentCertificate()
        // With the dashboard, the run stays for people to look at (kubectl get fluid) until the next run replaces it.
        .WithArgs([.. options.SampleArgs, .. KeepsRun(builder, options) ? ["--keep"] : Array.Empty<string>()]);
    if (options.Once)
    {
        sample.ExitWhenFinished(TimeSpan.FromSeconds(options.TimeoutSeconds));
    }
}

if (options.Once)
{
    // Without the dashboard nothing collects telemetry: every process would only retry sending it to a closed port,
    // and a step's exit would wait for that.
    foreach (var project in builder.Resources.OfType<ProjectResource>())
    {
        project.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
        {
            foreach (var name in environment.Keys.Where(k => k.StartsWith("OTEL_", StringComparison.Ordinal)).ToArray())
            {
                environment.Remove(name);
            }
        }));
    }
}

using (stateLock)
{
    builder.Build().Run();
}

return Environment.ExitCode;

static bool KeepsRun(IDistributedApplicationBuilder builder, AppHostOptions options) =>
    builder.ExecutionContext.IsRunMode && !options.Once && !options.SampleArgs.Contains("--keep");

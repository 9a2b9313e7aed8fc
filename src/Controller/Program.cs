using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Etcd;
using Fluid.Aspire.Cluster.Leadership;
using Fluid.Aspire.Cluster.Resources;
using Fluid.Aspire.Contracts.Store;
using Fluid.Aspire.Controller;
using Fluid.Aspire.Controller.Events;
using Fluid.Aspire.Controller.Execution;
using Fluid.Aspire.Controller.Nodes;
using Fluid.Aspire.Controller.ObjectStores;
using Fluid.Aspire.Controller.Operations;
using Fluid.Aspire.Controller.Scheduling;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFluidCluster();
builder.AddNodeDirectory();
builder.AddLocalStepExecutor();
builder.Services.Configure<ControllerOptions>(builder.Configuration.GetSection(ControllerOptions.SectionName));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<IResourceStore>(sp => new EtcdResourceStore(sp.GetRequiredService<EtcdConnection>(), sp.GetRequiredService<TimeProvider>()));
builder.Services.AddSingleton<ObjectStoreView>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ObjectStoreView>());
builder.Services.AddHealthChecks().AddCheck<ObjectStoreView>("object-stores", tags: ["ready"]);
builder.Services.AddSingleton<EventRecorder>();
builder.Services.AddSingleton(new StepScheduler());
builder.Services.AddSingleton(sp => new LeaderElection(
    sp.GetRequiredService<EtcdConnection>(), "controller",
    TimeSpan.FromSeconds(sp.GetRequiredService<IOptions<ControllerOptions>>().Value.LeaderLeaseSeconds),
    sp.GetRequiredService<ILogger<LeaderElection>>()));
builder.Services.AddHostedService<ControlPlane>();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapNodeApi();
app.MapStepLogApi();
app.MapGet("/api/v1/leader", (LeaderElection election) => new { election.Identity, election.IsLeader });
app.Run();

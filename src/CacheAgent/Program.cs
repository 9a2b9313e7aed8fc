using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFluidCluster();
builder.AddKubernetesApi();
builder.AddNodeMembership(NodeComponents.CacheAgent);

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();

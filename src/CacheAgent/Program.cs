using Fluid.Aspire.CacheAgent.Caching;
using Fluid.Aspire.CacheAgent.Kubelet;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFluidCluster();
builder.AddKubernetesApi();
builder.AddNodeMembership(NodeComponents.CacheAgent);
builder.AddCaching();
builder.ListenOnSocket();
var kubelet = builder.AddKubelet();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCacheApi();
if (kubelet)
{
    app.MapContainerLogs();
}

app.Run();

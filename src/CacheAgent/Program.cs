using Fluid.Aspire.CacheAgent.Kubelet;
using Fluid.Aspire.Cluster;
using Fluid.Aspire.Cluster.Membership;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFluidCluster();
builder.AddKubernetesApi();
builder.AddNodeMembership(NodeComponents.CacheAgent);
var kubelet = builder.AddKubelet();

var app = builder.Build();
app.MapDefaultEndpoints();
if (kubelet)
{
    app.MapContainerLogs();
}

app.Run();

using Fluid.Aspire.Cluster;
using Fluid.Aspire.Controller.Nodes;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFluidCluster();
builder.AddNodeDirectory();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapNodeApi();
app.Run();

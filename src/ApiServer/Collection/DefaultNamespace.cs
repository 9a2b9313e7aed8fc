using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Storage;

namespace Fluid.Aspire.ApiServer.Collection;

/// <summary>Creates the <c>default</c> Namespace when the store has none, as a cluster always has it.</summary>
internal sealed class DefaultNamespace(ObjectRegistry registry) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "default" },
            ["status"] = new JsonObject { ["phase"] = "Active" },
        };
        try
        {
            await registry.CreateAsync(ServedKinds.Namespace, null, body, FieldValidation.Strict, dryRun: false, cancellationToken);
        }
        catch (ApiException ex) when (ex.Reason == "AlreadyExists")
        {
            // Created by an earlier start.
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

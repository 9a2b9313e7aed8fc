using System.Text.Json.Nodes;
using Fluid.Aspire.ApiServer.Http;
using Fluid.Aspire.ApiServer.Kinds;
using Fluid.Aspire.ApiServer.Storage;

namespace Fluid.Aspire.ApiServer.Collection;

/// <summary>
/// Creates the <c>default</c> Namespace when the store has none, as a cluster always has it. Until etcd answers, the
/// server waits here, before it listens, saying so, rather than failing its start.
/// </summary>
internal sealed partial class DefaultNamespace(ObjectRegistry registry, TimeProvider clock, ILogger<DefaultNamespace> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "default" } };
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                await registry.CreateAsync(ServedKinds.Namespace, null, body.DeepClone().AsObject(), FieldValidation.Strict, dryRun: false, cancellationToken);
                return;
            }
            catch (ApiException ex) when (ex.Reason == "AlreadyExists")
            {
                // Created by an earlier start.
                return;
            }
            catch (ApiException ex) when (ex.Code == 503)
            {
                LogWaiting(ex.Message, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, clock, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Waiting for etcd before serving: {Reason}; trying again in {Delay} ms")]
    private partial void LogWaiting(string reason, int delay);
}

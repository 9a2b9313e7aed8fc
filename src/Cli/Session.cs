using System.Text.Json;
using Fluid.Aspire.Contracts.Kubernetes;
using Fluid.Aspire.Contracts.Store;
using Fluid.Sdk;
using Grpc.Core;
using k8s.Autorest;

namespace Fluid.Aspire.Cli;

/// <summary>
/// One command's connection to a stack: the resource store (the Kubernetes API), the controller's HTTP API, the namespace, and
/// the time the command started, so that every AGE of one listing is measured from the same instant.
/// </summary>
internal sealed class Session : IAsyncDisposable
{
    /// <summary>What to do when the stack cannot be reached, on every such error.</summary>
    public const string StartHint = "Is the stack running? Start it with ./run.sh --dashboard, or point --kubeconfig at it.";

    private Session(FluidClient client, string @namespace)
    {
        Client = client;
        Namespace = @namespace;
    }

    public FluidClient Client { get; }

    public IResourceStore Store => Client.Store;

    public string Namespace { get; }

    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;

    /// <summary>Connects as the SDK does: <paramref name="kubeconfig"/>, else the one <paramref name="connection"/> (or the environment) names, else as kubectl.</summary>
    public static Session Open(string? connection, string? kubeconfig, string? context, string @namespace)
    {
        FluidClient client;
        try
        {
            client = new FluidClient(new ClientConfig { ConnectionString = connection, KubeConfigFile = kubeconfig, Context = context, Namespace = @namespace });
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or JsonException or IOException or UnauthorizedAccessException)
        {
            var why = ex switch
            {
                InvalidOperationException => ex.Message,
                // The only argument the connection string can get wrong past parsing: an empty endpoint list.
                ArgumentException => "it names no etcd endpoint; write e.g. Endpoints=http://127.0.0.1:2379.",
                _ => $"a configuration file could not be read: {ex.Message}",
            };
            throw new CliException(connection is null
                ? why
                : $"--connection '{connection}' is not usable: {why}");
        }

        SayWhichCluster(client);
        return new Session(client, @namespace);
    }

    /// <summary>
    /// Names the context when it was not asked for by name and is not the local stack's, so that a command never acts
    /// on a real cluster by surprise.
    /// </summary>
    private static void SayWhichCluster(FluidClient client)
    {
        var choice = Kubeconfig.Choose(client.Config.KubeConfigFile ?? client.Connection?.Kubeconfig);
        var files = string.Join(Path.PathSeparator, choice.Files);
        var source = choice.Origin switch
        {
            KubeconfigOrigin.Environment => $"{files} (${Kubeconfig.Variable})",
            KubeconfigOrigin.Default => $"{files}, as no local stack is running (./run.sh --dashboard starts one)",
            _ => null,
        };
        if (source is not null)
        {
            Console.Error.WriteLine($"Using context '{client.Context}' of {source}.");
        }
    }

    /// <summary>The one line that says the Kubernetes API could not be reached, which one, and what to do.</summary>
    public string Unreachable(ResourceStoreUnavailableException ex) =>
        $"cannot reach the Kubernetes API at {Client.Server.GetLeftPart(UriPartial.Authority)} ({Cause(ex)}). {StartHint}";

    /// <summary>
    /// Calls the Kubernetes API through KubernetesClient's typed client (for Kubernetes' own kinds: nodes, events);
    /// a failure is the command's error, saying what it was <paramref name="doing"/>.
    /// </summary>
    public async Task<T> KubernetesAsync<T>(string doing, Func<k8s.Kubernetes, Task<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call(Client.Kubernetes);
        }
        catch (HttpRequestException ex)
        {
            throw new CliException(Unreachable(new ResourceStoreUnavailableException(ex.Message, ex)));
        }
        catch (HttpOperationException ex)
        {
            throw new CliException($"the Kubernetes API answered {(int)ex.Response.StatusCode} to {doing}: {ex.Response.Content}");
        }
    }

    public ValueTask DisposeAsync() => Client.DisposeAsync();

    /// <summary>The innermost useful reason (e.g. "Connection refused"), without gRPC's status dump.</summary>
    private static string Cause(Exception ex)
    {
        for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case RpcException { Status.DebugException: { } debug }:
                    return Cause(debug);
                case RpcException rpc:
                    return string.IsNullOrEmpty(rpc.Status.Detail) ? rpc.StatusCode.ToString() : rpc.Status.Detail;
                case System.Net.Sockets.SocketException socket:
                    return socket.Message;
                case TaskCanceledException:
                    return "no answer in time";
                case HttpRequestException or ResourceStoreException when inner.InnerException is not null:
                    continue;
                default:
                    return inner.Message;
            }
        }

        return ex.Message;
    }
}

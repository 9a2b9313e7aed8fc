using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Cluster.Sockets;

namespace Fluid.Aspire.CacheAgent.Caching;

/// <summary>
/// The agent's API on a Unix socket of the node, beside its HTTP addresses: the steps of the node read datasets there
/// (they get its path as <c>FLUID_CACHE_SOCKET</c>), allowed by the socket's file mode rather than a token, as the
/// object store's clients are. Only reads are served on it (<see cref="CacheEndpoints"/>).
/// </summary>
internal static class AgentSocket
{
    /// <summary>Adds the socket of <see cref="CacheAgentOptions.Socket"/>, if set, to the addresses the agent listens on.</summary>
    public static void ListenOnSocket(this WebApplicationBuilder builder)
    {
        var socket = builder.Configuration[$"{CacheAgentOptions.SectionName}:{nameof(CacheAgentOptions.Socket)}"];
        if (string.IsNullOrWhiteSpace(socket))
        {
            return;
        }

        SocketFile.Claim(socket, $"{CacheAgentOptions.SectionName}:{nameof(CacheAgentOptions.Socket)}");
        // The addresses given by ASPNETCORE_URLS, else by ASPNETCORE_HTTP_PORTS (a chart's), which Kestrel ignores once
        // URLS is set; a source of its own, last, so that it outlasts the reloads that adding sources causes.
        var urls = builder.Configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } given ? given
            : builder.Configuration[WebHostDefaults.HttpPortsKey] is { Length: > 0 } ports ? string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p.Trim()}"))
            : "http://localhost:5000";
        builder.Configuration.AddInMemoryCollection([
            new(WebHostDefaults.ServerUrlsKey, $"{urls};{NodeMember.UnixAddressPrefix}{socket}"),
            new(WebHostDefaults.HttpPortsKey, ""),
        ]);
        builder.Services.AddHostedService(services => new SocketMode(socket, services.GetRequiredService<IHostApplicationLifetime>()));
    }

    /// <summary>Gives the socket the mode of the node's daemon sockets once Kestrel has created it.</summary>
    private sealed class SocketMode(string socket, IHostApplicationLifetime lifetime) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            lifetime.ApplicationStarted.Register(() => File.SetUnixFileMode(socket, SocketFile.Mode));
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

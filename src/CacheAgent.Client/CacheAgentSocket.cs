using System.Net.Sockets;

namespace Fluid.Aspire.CacheAgent.Client;

/// <summary>HTTP to a node's cache agent over its Unix socket, where the node's steps read datasets with no token.</summary>
public static class CacheAgentSocket
{
    /// <summary>The address to give a <see cref="CacheAgentClient"/> over the socket: its host is not used.</summary>
    public static Uri Address { get; } = new("http://cacheagent/");

    /// <summary>A client whose every connection goes to the socket at <paramref name="socketPath"/>; the caller disposes it.</summary>
    public static HttpClient CreateHttpClient(string socketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // Reads of large files stream for as long as they take; a stalled agent is the step's timeout's to end.
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }
}

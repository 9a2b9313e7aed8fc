using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.TestSupport.StorageServers;

/// <summary>Waits for a server a test started to accept connections on its port.</summary>
internal static class ListeningPort
{
    public static async Task WaitAsync(int port, ChildProcess process, string name, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} before listening on port {port}:\n{ChildProcess.Tail(process.Output, 40)}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"{name} did not listen on port {port} within 30 s ({e.Message}):\n{ChildProcess.Tail(process.Output, 40)}");
            }
        }
    }
}

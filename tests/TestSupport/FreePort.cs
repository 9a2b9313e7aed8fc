using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.TestSupport;

/// <summary>Ports that no one listens on right now, for servers a test starts.</summary>
public static class FreePort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.TestSupport;

/// <summary>
/// Ports that no one listens on right now, for servers a test starts. They come from below the kernel's ephemeral
/// range when there is room: a port found free there cannot be taken, before the server binds it, by one of the
/// many outgoing connections and port-0 listeners of the tests running beside it, which all draw from that range.
/// The test processes running at once (one per test project) could still both find a port free before either binds
/// it, so each claims its ports with a lock on a file of its own per port, held until the process ends.
/// </summary>
public static class FreePort
{
    private const int Band = 10_000;

    private static readonly (int First, int Count)? Range = BelowEphemeral();
    private static readonly string ClaimDirectory = Path.Combine(Path.GetTempPath(), "fluid-test-ports");
    private static readonly List<FileStream> Claims = [];
    private static int _next = Random.Shared.Next(Band);

    public static int Next()
    {
        if (Range is var (first, count))
        {
            for (var attempt = 0; attempt < count; attempt++)
            {
                var port = first + (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
                if (TryClaim(port) && IsFree(port))
                {
                    return port;
                }
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Takes the port for this process unless another test process holds it; the lock goes with the process.</summary>
    private static bool TryClaim(int port)
    {
        try
        {
            Directory.CreateDirectory(ClaimDirectory);
            var claim = new FileStream(Path.Combine(ClaimDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            lock (Claims)
            {
                Claims.Add(claim);
            }

            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The band of ports just below the ephemeral range, or null when the range starts too low.</summary>
    private static (int First, int Count)? BelowEphemeral()
    {
        const string path = "/proc/sys/net/ipv4/ip_local_port_range";
        var parts = File.Exists(path) ? File.ReadAllText(path).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) : [];
        return parts.Length > 0 && int.TryParse(parts[0], out var ephemeralStart) && ephemeralStart > Band + 1024
            ? (ephemeralStart - Band, Band)
            : null;
    }
}

using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// Who is at the other end of a Unix socket, as the kernel saw it when the peer connected (SO_PEERCRED): unlike
/// what a client says in its Hello, a client cannot choose these.
/// </summary>
internal readonly partial record struct PeerCredentials(int ProcessId, int UserId, int GroupId)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    /// <summary>The effective uid of this process.</summary>
    public static int CurrentUserId => (int)geteuid();

    /// <exception cref="SocketException">The socket is not a connected Unix socket.</exception>
    public static PeerCredentials Of(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        var length = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (length != ucred.Length)
        {
            throw new SocketException((int)SocketError.ProtocolNotSupported);
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<int>(ucred[4..]),
            MemoryMarshal.Read<int>(ucred[8..]));
    }

    public override string ToString() => $"pid {ProcessId}, uid {UserId}";

    [LibraryImport("libc")]
    private static partial uint geteuid();
}

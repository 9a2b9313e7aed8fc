using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Native;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// The bulk channel's byte moving: straight between a TCP socket and mapped memory, without staging buffers, so
/// that a transfer runs at the speed of the socket.
/// </summary>
internal static class BulkChannel
{
    /// <summary>The token a connection sends first, to claim the transfer that OpenBulkTransfer prepared.</summary>
    public const int TokenLength = 16;

    /// <summary>Large socket buffers keep a single stream near wire speed on fast links and loopback.</summary>
    public const int SocketBufferSize = 4 * 1024 * 1024;

    public static void Tune(Socket socket)
    {
        socket.NoDelay = true;
        socket.SendBufferSize = SocketBufferSize;
        socket.ReceiveBufferSize = SocketBufferSize;
    }

    public static async Task SendAsync(Socket socket, MemoryRange range, CancellationToken cancellationToken)
    {
        for (long offset = 0; offset < range.Length; offset += MemoryRange.PieceSize)
        {
            await socket.SendAsync(Memory(range, offset), SocketFlags.None, cancellationToken);
        }
    }

    public static async Task ReceiveAsync(Socket socket, MemoryRange range, CancellationToken cancellationToken)
    {
        for (long offset = 0; offset < range.Length;)
        {
            var received = await socket.ReceiveAsync(Memory(range, offset), SocketFlags.None, cancellationToken);
            if (received == 0)
            {
                throw new IOException($"The bulk connection closed after {offset} of {range.Length} bytes of a blob.");
            }

            offset += received;
        }
    }

    private static unsafe Memory<byte> Memory(MemoryRange range, long offset)
    {
        var length = (int)Math.Min(MemoryRange.PieceSize, range.Length - offset);
        return new NativeMemoryManager<byte>((byte*)range.Address + offset, length).Memory;
    }
}

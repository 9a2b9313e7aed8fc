using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Native;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// The bulk channel's byte moving: straight between a TCP socket and mapped memory, without staging buffers, so
/// that a transfer runs at the speed of the socket.
/// </summary>
internal static class BulkChannel
{
    /// <summary>The token a connection sends first, to claim the transfer that OpenBulkTransfer prepared.</summary>
    public const int TokenLength = 16;

    /// <summary>What follows the token: its HMAC-SHA256 under the cluster's token, which proves the sender has it.</summary>
    public const int ProofLength = HMACSHA256.HashSizeInBytes;

    /// <summary>The listener's answer to a claim, one byte: the blobs follow, or why it refused and the end.</summary>
    public const byte Accepted = 0;

    public const byte Refused = 1;

    /// <summary>What a connection sends first: the ticket's token and the proof of the cluster's token.</summary>
    public static byte[] Claim(ReadOnlySpan<byte> ticket, ObjectStoreToken? token) =>
        [.. ticket, .. Proof(ticket, token)];

    /// <summary>The proof of the cluster's token for a ticket; without a token, under an empty key, which a listener without one ignores.</summary>
    public static byte[] Proof(ReadOnlySpan<byte> ticket, ObjectStoreToken? token) => token?.Sign(ticket) ?? HMACSHA256.HashData([], ticket);

    public static async Task RefuseAsync(Socket socket, string reason, CancellationToken cancellationToken) =>
        await socket.SendAsync((byte[])[Refused, .. Encoding.UTF8.GetBytes(reason)], SocketFlags.None, cancellationToken);

    /// <summary>Reads the listener's answer; throws with its reason when it refused.</summary>
    public static async Task ReadAnswerAsync(Socket socket, string endpoint, CancellationToken cancellationToken)
    {
        var answer = new byte[1];
        if (await socket.ReceiveAsync(answer, SocketFlags.None, cancellationToken) == 0)
        {
            throw new IOException($"The bulk channel at {endpoint} closed the connection without answering its claim.");
        }

        if (answer[0] == Accepted)
        {
            return;
        }

        var reason = new MemoryStream();
        var buffer = new byte[1024];
        for (int count; reason.Length < 4096 && (count = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken)) > 0;)
        {
            reason.Write(buffer, 0, count);
        }

        throw new ObjectStoreException(ObjectStoreErrorCode.PermissionDenied,
            $"The bulk channel at {endpoint} refused the transfer: {Encoding.UTF8.GetString(reason.ToArray())}");
    }

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

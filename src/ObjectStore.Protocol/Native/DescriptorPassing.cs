using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// Sends and receives file descriptors with SCM_RIGHTS over a Unix domain socket, which .NET's Socket cannot do.
/// Works on sockets that .NET has switched to non-blocking mode: a would-block answer waits in poll.
/// </summary>
public static unsafe class DescriptorPassing
{
    /// <summary>The most descriptors one message carries.</summary>
    public const int MaxDescriptors = 64;

    /// <summary>Sends all of <paramref name="data"/>; the descriptors travel with its first byte.</summary>
    /// <exception cref="IOException">The peer is gone or the send failed.</exception>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors, TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfZero(data.Length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(descriptors.Length, MaxDescriptors);
        var fd = (int)socket.Handle;
        var controlSpace = descriptors.Length == 0 ? 0 : LibC.ControlSpace(descriptors.Length * sizeof(int));
        var control = stackalloc byte[Math.Max(controlSpace, 1)];
        var sent = 0;
        fixed (byte* bytes = data)
        {
            while (sent < data.Length)
            {
                var vector = new LibC.IoVector { Base = bytes + sent, Length = (nuint)(data.Length - sent) };
                var header = new LibC.MessageHeader { Vectors = &vector, VectorCount = 1 };
                if (sent == 0 && descriptors.Length > 0)
                {
                    new Span<byte>(control, controlSpace).Clear();
                    var cmsg = (LibC.ControlMessageHeader*)control;
                    cmsg->Length = (nuint)LibC.ControlLength(descriptors.Length * sizeof(int));
                    cmsg->Level = LibC.SolSocket;
                    cmsg->Type = LibC.ScmRights;
                    descriptors.CopyTo(new Span<int>(control + sizeof(LibC.ControlMessageHeader), descriptors.Length));
                    header.Control = control;
                    header.ControlLength = (nuint)controlSpace;
                }

                var result = LibC.SendMsg(fd, &header, LibC.MsgNoSignal);
                if (result >= 0)
                {
                    sent += (int)result;
                    continue;
                }

                WaitOrThrow(fd, LibC.PollOut, timeout, "sendmsg");
            }
        }
    }

    /// <summary>
    /// Receives at least one and at most <paramref name="buffer"/>.Length bytes, adding any descriptors that came
    /// with them to <paramref name="descriptors"/> (close-on-exec set).
    /// </summary>
    /// <returns>The number of bytes received; 0 when the peer closed the connection.</returns>
    public static int Receive(Socket socket, Span<byte> buffer, List<int> descriptors, TimeSpan timeout)
    {
        var fd = (int)socket.Handle;
        var controlSpace = LibC.ControlSpace(MaxDescriptors * sizeof(int));
        var control = stackalloc byte[controlSpace];
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var vector = new LibC.IoVector { Base = bytes, Length = (nuint)buffer.Length };
                var header = new LibC.MessageHeader
                {
                    Vectors = &vector,
                    VectorCount = 1,
                    Control = control,
                    ControlLength = (nuint)controlSpace,
                };
                var result = LibC.RecvMsg(fd, &header, LibC.MsgCmsgCloexec);
                if (result < 0)
                {
                    WaitOrThrow(fd, LibC.PollIn, timeout, "recvmsg");
                    continue;
                }

                CollectDescriptors(&header, descriptors);
                if ((header.Flags & LibC.MsgCtrunc) != 0)
                {
                    throw new IOException("Descriptors passed over the socket were cut off (MSG_CTRUNC): the sender passed more than this client accepts.");
                }

                return (int)result;
            }
        }
    }

    private static void CollectDescriptors(LibC.MessageHeader* header, List<int> descriptors)
    {
        var offset = 0;
        var control = (byte*)header->Control;
        var headerSize = sizeof(LibC.ControlMessageHeader);
        while (offset + headerSize <= (int)header->ControlLength)
        {
            var cmsg = (LibC.ControlMessageHeader*)(control + offset);
            var length = (int)cmsg->Length;
            if (length < headerSize)
            {
                break;
            }

            if (cmsg->Level == LibC.SolSocket && cmsg->Type == LibC.ScmRights)
            {
                var count = (length - headerSize) / sizeof(int);
                descriptors.AddRange(new ReadOnlySpan<int>(control + offset + headerSize, count));
            }

            offset += (length + 7) & ~7;
        }
    }

    private static void WaitOrThrow(int fd, short events, TimeSpan timeout, string call)
    {
        var errno = Marshal.GetLastPInvokeError();
        if (errno == LibC.EINTR)
        {
            return;
        }

        if (errno != LibC.EAGAIN)
        {
            throw new IOException($"{call} failed: {LibC.Describe(errno)}.");
        }

        var poll = new LibC.PollDescriptor { Fd = fd, Events = events };
        var ready = LibC.Poll(&poll, 1, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
        if (ready == 0)
        {
            throw new TimeoutException($"{call}: the socket was not ready within {timeout.TotalSeconds:0.#} s.");
        }
    }
}

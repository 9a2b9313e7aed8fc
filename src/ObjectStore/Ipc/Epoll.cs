using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>
/// A Linux epoll set, level-triggered on input: a descriptor is reported for as long as it has bytes to read,
/// each with the key it was added with. Thread-safe as the kernel's calls are.
/// </summary>
internal sealed unsafe partial class Epoll : IDisposable
{
    private const int EpollCloexec = 0x80000;
    private const int Add = 1;
    private const int Delete = 2;
    private const uint In = 0x1;
    private const uint RdHangUp = 0x2000;
    private const int EINTR = 4;

    private int _fd;

    public Epoll()
    {
        _fd = epoll_create1(EpollCloexec);
        if (_fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_create1 failed");
        }
    }

    /// <summary>
    /// How one event is laid out: x86-64 packs the kernel's struct (12 bytes, key at 4); other 64-bit ABIs align
    /// the key (16 bytes, key at 8).
    /// </summary>
    private static int Stride => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static int KeyOffset => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    /// <summary>Watches <paramref name="descriptor"/> for input or the peer's hang-up.</summary>
    /// <exception cref="Win32Exception">The kernel refused (out of memory, or the descriptor is closed).</exception>
    public void Watch(int descriptor, long key)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = In | RdHangUp;
        *(long*)(ev + KeyOffset) = key;
        if (epoll_ctl(_fd, Add, descriptor, ev) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "epoll_ctl ADD failed");
        }
    }

    /// <summary>Stops watching <paramref name="descriptor"/>; a descriptor not watched is no error.</summary>
    public void Unwatch(int descriptor)
    {
        var ev = stackalloc byte[16];
        _ = epoll_ctl(_fd, Delete, descriptor, ev);
    }

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for descriptors with input; their keys go to <paramref name="keys"/>.</summary>
    /// <returns>How many keys were written; 0 on a timeout or an interrupted wait.</returns>
    public int Wait(Span<long> keys, byte[] events, int timeoutMilliseconds)
    {
        var stride = Stride;
        var capacity = Math.Min(keys.Length, events.Length / stride);
        int count;
        fixed (byte* buffer = events)
        {
            count = epoll_wait(_fd, buffer, capacity, timeoutMilliseconds);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                return errno == EINTR ? 0 : throw new Win32Exception(errno, "epoll_wait failed");
            }

            var keyOffset = KeyOffset;
            for (var i = 0; i < count; i++)
            {
                keys[i] = *(long*)(buffer + (i * stride) + keyOffset);
            }
        }

        return count;
    }

    /// <summary>A buffer for <paramref name="count"/> events of <see cref="Wait"/>.</summary>
    public static byte[] EventBuffer(int count) => new byte[count * Stride];

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            _ = close(fd);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}

using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>What backs an arena.</summary>
public enum SharedMemoryBackend
{
    /// <summary>memfd_create, falling back to /dev/shm when the kernel lacks it.</summary>
    Auto,

    /// <summary>An anonymous memory file (memfd_create): nothing in the file system, gone with its last descriptor.</summary>
    Memfd,

    /// <summary>A file in /dev/shm, unlinked at once, so that it too is gone with its last descriptor.</summary>
    Shm,
}

/// <summary>
/// A file of shared memory that can be mapped by several processes: created by the daemon, whose descriptor is
/// then passed to each client. Never in the file system by name, so a crashed daemon leaves nothing behind.
/// </summary>
public sealed class SharedMemoryFile : IDisposable
{
    private int _fd;

    private SharedMemoryFile(int fd, long size, SharedMemoryBackend backend)
    {
        _fd = fd;
        Size = size;
        Backend = backend;
    }

    public int Descriptor => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(SharedMemoryFile));

    public long Size { get; }

    public SharedMemoryBackend Backend { get; }

    /// <summary>Creates a shared-memory file of <paramref name="size"/> bytes (pages are not allocated yet).</summary>
    /// <exception cref="IOException">Neither backend could create it; the message says why.</exception>
    public static SharedMemoryFile Create(string name, long size, SharedMemoryBackend backend = SharedMemoryBackend.Auto, string shmDirectory = "/dev/shm")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (backend != SharedMemoryBackend.Shm)
        {
            var fd = LibC.MemfdCreate(name, LibC.MfdCloexec);
            if (fd >= 0)
            {
                return Sized(fd, size, SharedMemoryBackend.Memfd);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (backend == SharedMemoryBackend.Memfd || errno != LibC.ENOSYS)
            {
                throw new IOException($"memfd_create failed: {LibC.Describe(errno)}.");
            }
        }

        var path = Path.Combine(shmDirectory, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var file = LibC.Open(path, LibC.OReadWrite | LibC.OCreate | LibC.OExclusive | LibC.OCloexec, 0x180);
        if (file < 0)
        {
            throw new IOException($"Cannot create {path}: {LibC.Describe(Marshal.GetLastPInvokeError())}.");
        }

        // Unlinked at once: the memory lives exactly as long as some process holds the descriptor or a mapping.
        LibC.Unlink(path);
        return Sized(file, size, SharedMemoryBackend.Shm);
    }

    /// <summary>Takes ownership of a descriptor received from the daemon.</summary>
    public static SharedMemoryFile Adopt(int fd, long size) => new(fd, size, SharedMemoryBackend.Auto);

    /// <summary>Copies <paramref name="bytes"/> into the file at <paramref name="offset"/>, without mapping it.</summary>
    /// <exception cref="IOException">pwrite failed; the message says why.</exception>
    public unsafe void Write(ReadOnlySpan<byte> bytes, long offset)
    {
        fixed (byte* start = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var written = LibC.Pwrite(Descriptor, start + done, (nuint)(bytes.Length - done), offset + done);
                if (written < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"pwrite of {bytes.Length} bytes at {offset} failed: {LibC.Describe(errno)}.");
                }

                done += (int)written;
            }
        }
    }

    /// <summary>
    /// Allocates the pages of a range now, so that writing to them later cannot fault with SIGBUS when memory is
    /// short: the shortage is reported here, as an error, instead.
    /// </summary>
    /// <returns>False when the system has no memory for the range (ENOSPC or ENOMEM).</returns>
    public bool TryCommit(long offset, long length)
    {
        while (true)
        {
            if (LibC.Fallocate(Descriptor, 0, offset, length) == 0)
            {
                return true;
            }

            var errno = Marshal.GetLastPInvokeError();
            if (errno == LibC.EINTR)
            {
                continue;
            }

            return errno is LibC.ENOSPC or LibC.ENOMEM
                ? false
                : throw new IOException($"fallocate of {length} bytes at {offset} failed: {LibC.Describe(errno)}.");
        }
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
        {
            LibC.Close(fd);
        }
    }

    private static SharedMemoryFile Sized(int fd, long size, SharedMemoryBackend backend)
    {
        if (LibC.Ftruncate(fd, size) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            throw new IOException($"Cannot size shared memory to {size} bytes: {LibC.Describe(errno)}.");
        }

        return new SharedMemoryFile(fd, size, backend);
    }
}

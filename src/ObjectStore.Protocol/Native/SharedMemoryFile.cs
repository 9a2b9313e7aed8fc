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

    /// <summary>Why memfd_create was not used although it was asked for first; null when it was, or not asked for.</summary>
    public string? FallbackReason { get; private init; }

    /// <summary>
    /// Creates a shared-memory file of <paramref name="size"/> bytes (pages are not allocated yet). With
    /// <see cref="SharedMemoryBackend.Auto"/>, a refused memfd_create (no such call, or forbidden by a seccomp
    /// profile or a security module) falls back to /dev/shm, and <see cref="FallbackReason"/> says why.
    /// </summary>
    /// <exception cref="IOException">Neither backend could create it; the message says why.</exception>
    public static SharedMemoryFile Create(string name, long size, SharedMemoryBackend backend = SharedMemoryBackend.Auto, string shmDirectory = "/dev/shm") =>
        Create(name, size, backend, shmDirectory, LibC.MemfdCreate);

    /// <summary>As <see cref="Create(string, long, SharedMemoryBackend, string)"/>, with the memfd_create to call.</summary>
    internal static SharedMemoryFile Create(string name, long size, SharedMemoryBackend backend, string shmDirectory, Func<string, uint, int> memfdCreate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        string? fallbackReason = null;
        if (backend != SharedMemoryBackend.Shm)
        {
            var fd = memfdCreate(name, LibC.MfdCloexec);
            if (fd >= 0)
            {
                return Sized(fd, size, SharedMemoryBackend.Memfd, null);
            }

            var errno = Marshal.GetLastPInvokeError();
            if (backend == SharedMemoryBackend.Memfd || !IsRefusal(errno))
            {
                throw new IOException($"memfd_create failed: {LibC.Describe(errno)}.");
            }

            fallbackReason = $"memfd_create was refused ({LibC.Describe(errno)}); the arenas are unlinked files in {shmDirectory} instead";
        }

        var path = Path.Combine(shmDirectory, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var file = LibC.Open(path, LibC.OReadWrite | LibC.OCreate | LibC.OExclusive | LibC.OCloexec, 0x180);
        if (file < 0)
        {
            throw new IOException($"Cannot create {path}: {LibC.Describe(Marshal.GetLastPInvokeError())}.");
        }

        // Unlinked at once: the memory lives exactly as long as some process holds the descriptor or a mapping.
        LibC.Unlink(path);
        return Sized(file, size, SharedMemoryBackend.Shm, fallbackReason);
    }

    /// <summary>Takes ownership of a descriptor received from the daemon.</summary>
    public static SharedMemoryFile Adopt(int fd, long size) => new(fd, size, SharedMemoryBackend.Auto);

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

    /// <summary>
    /// The errors of a memfd_create that the kernel or a sandbox refuses outright (ENOSYS: too old; EPERM, EACCES:
    /// seccomp or a security module; EINVAL: flags a sandbox does not support), as opposed to a shortage.
    /// </summary>
    private static bool IsRefusal(int errno) => errno is LibC.ENOSYS or LibC.EPERM or LibC.EACCES or LibC.EINVAL;

    private static SharedMemoryFile Sized(int fd, long size, SharedMemoryBackend backend, string? fallbackReason)
    {
        if (LibC.Ftruncate(fd, size) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            LibC.Close(fd);
            throw new IOException($"Cannot size shared memory to {size} bytes: {LibC.Describe(errno)}.");
        }

        return new SharedMemoryFile(fd, size, backend) { FallbackReason = fallbackReason };
    }
}

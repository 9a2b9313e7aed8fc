using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// A file of shared memory that can be mapped by several processes: created by the daemon, whose descriptor is
/// then passed to each client. An anonymous memfd, never in the file system, so a crashed daemon leaves nothing
/// behind; sealed once sized, so that no client holding its descriptor can shrink or grow it.
/// </summary>
/// <remarks>
/// A client could otherwise <c>ftruncate</c> the descriptor it received, and every other process mapping the
/// file would die of SIGBUS on its next access. A file in a tmpfs cannot be sealed (the kernel seals those for
/// good at creation), which is why there is no fallback to /dev/shm.
/// </remarks>
public sealed class SharedMemoryFile : IDisposable
{
    /// <summary>The seals every arena gets: its size is fixed for good, and no seal can be added or removed.</summary>
    public const int Seals = LibC.FSealShrink | LibC.FSealGrow | LibC.FSealSeal;

    private int _fd;

    private SharedMemoryFile(int fd, long size)
    {
        _fd = fd;
        Size = size;
    }

    public int Descriptor => _fd >= 0 ? _fd : throw new ObjectDisposedException(nameof(SharedMemoryFile));

    public long Size { get; }

    /// <summary>Creates a sealed memfd of <paramref name="size"/> bytes (pages are not allocated yet).</summary>
    /// <exception cref="IOException">It could not be created, sized or sealed; the message says why and what to do.</exception>
    public static SharedMemoryFile Create(string name, long size) => Create(name, size, LibC.MemfdCreate);

    /// <summary>As <see cref="Create(string, long)"/>, with the memfd_create to call.</summary>
    internal static SharedMemoryFile Create(string name, long size, Func<string, uint, int> memfdCreate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var fd = memfdCreate(name, LibC.MfdCloexec | LibC.MfdAllowSealing);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException(IsRefusal(errno)
                ? $"memfd_create was refused ({LibC.Describe(errno)}). The arenas must be sealed memfds, so that no client " +
                  "can shrink one under the others; run the daemon where memfd_create and fcntl F_ADD_SEALS are allowed " +
                  "(a seccomp profile or security module refuses them here, or the kernel is older than 3.17)."
                : $"memfd_create failed: {LibC.Describe(errno)}.");
        }

        if (LibC.Ftruncate(fd, size) != 0)
        {
            Fail(fd, $"Cannot size shared memory to {size} bytes");
        }

        if (LibC.Fcntl(fd, LibC.FAddSeals, Seals) != 0)
        {
            Fail(fd, "Cannot seal the shared memory's size (fcntl F_ADD_SEALS)");
        }

        return new SharedMemoryFile(fd, size);
    }

    /// <summary>Takes ownership of a descriptor received from the daemon.</summary>
    public static SharedMemoryFile Adopt(int fd, long size) => new(fd, size);

    /// <summary>The seals the file carries (F_GET_SEALS).</summary>
    public int GetSeals()
    {
        var seals = LibC.Fcntl(Descriptor, LibC.FGetSeals, 0);
        return seals >= 0 ? seals : throw new IOException($"fcntl F_GET_SEALS failed: {LibC.Describe(Marshal.GetLastPInvokeError())}.");
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

    /// <summary>
    /// The errors of a memfd_create that the kernel or a sandbox refuses outright (ENOSYS: too old; EPERM, EACCES:
    /// seccomp or a security module; EINVAL: flags a sandbox does not support), as opposed to a shortage.
    /// </summary>
    private static bool IsRefusal(int errno) => errno is LibC.ENOSYS or LibC.EPERM or LibC.EACCES or LibC.EINVAL;

    private static void Fail(int fd, string what)
    {
        var errno = Marshal.GetLastPInvokeError();
        LibC.Close(fd);
        throw new IOException($"{what}: {LibC.Describe(errno)}.");
    }
}

using System.Runtime.InteropServices;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>Makes the next read of a file come from its device rather than from memory.</summary>
internal static partial class PageCache
{
    private const int DontNeed = 4; // POSIX_FADV_DONTNEED

    /// <summary>Asks the kernel to drop the (already written back) pages of <paramref name="path"/> from the page cache.</summary>
    public static void Drop(string path)
    {
        using var file = File.OpenHandle(path);
        var error = PosixFadvise((int)file.DangerousGetHandle(), 0, 0, DontNeed);
        if (error != 0)
        {
            throw new IOException($"posix_fadvise(DONTNEED) on {path} failed with errno {error}.");
        }
    }

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);
}

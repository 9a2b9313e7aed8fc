using System.Runtime.InteropServices;

namespace Fluid.Aspire.ObjectStore.Native;

/// <summary>
/// A shared mapping of a whole <see cref="SharedMemoryFile"/>. Mapped once per process and arena; every object
/// view is a range of it. Reference-counted: views that hand out spans keep it mapped, so a span never outlives
/// its memory even when the client is disposed first.
/// </summary>
public sealed unsafe class MemoryMapping : IDisposable
{
    private int _references = 1;
    private int _disposed;

    private MemoryMapping(byte* address, long length, bool writable)
    {
        Address = address;
        Length = length;
        IsWritable = writable;
    }

    public byte* Address { get; }

    public long Length { get; }

    public bool IsWritable { get; }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/>; <paramref name="populate"/> faults every page in now.</summary>
    /// <exception cref="IOException">mmap failed; the message says why.</exception>
    public static MemoryMapping Map(int fd, long length, bool writable, bool populate = false)
    {
        var protection = LibC.ProtRead | (writable ? LibC.ProtWrite : 0);
        var flags = LibC.MapShared | (populate ? LibC.MapPopulate : 0);
        var address = LibC.Mmap(0, (nuint)length, protection, flags, fd, 0);
        return address == LibC.MapFailed
            ? throw new IOException($"mmap of {length} bytes failed: {LibC.Describe(Marshal.GetLastPInvokeError())}.")
            : new MemoryMapping((byte*)address, length, writable);
    }

    /// <summary>Keeps the mapping alive for a view; false once it has been unmapped.</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            LibC.Munmap((nint)Address, (nuint)Length);
        }
    }

    /// <summary>A pointer to <paramref name="offset"/>, after checking that the range lies inside the mapping.</summary>
    public byte* At(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"The range [{offset}, {offset}+{length}) is outside the {Length}-byte mapping.");
        }

        return Address + offset;
    }

    /// <summary>
    /// Fills this mapping's page tables for a range in one call (MADV_POPULATE_READ or _WRITE). A process's first
    /// touch of shared pages otherwise costs a page fault per 4 KiB, which here is many times slower than the copy
    /// itself. Best effort: on kernels before 5.14 the pages fault in as they are touched, as before.
    /// </summary>
    public void Prefault(long offset, long length, bool forWriting)
    {
        if (length <= 0)
        {
            return;
        }

        var start = (long)At(offset, length) & ~(long)(LibC.PageSize - 1);
        var end = ((long)Address + offset + length + LibC.PageSize - 1) & ~(long)(LibC.PageSize - 1);
        LibC.Madvise((nint)start, (nuint)(end - start), forWriting ? LibC.MadvPopulateWrite : LibC.MadvPopulateRead);
    }

    /// <summary>Gives up the owner's reference; the memory is unmapped once no view holds it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Release();
        }
    }
}

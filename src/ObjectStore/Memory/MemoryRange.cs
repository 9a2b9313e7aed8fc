namespace Fluid.Aspire.ObjectStore.Memory;

/// <summary>A range of mapped memory, possibly larger than a span can cover, walked in span-sized pieces.</summary>
internal readonly unsafe record struct MemoryRange(nint Address, long Length)
{
    /// <summary>The largest piece handed out at once: spans are limited to 2 GiB, and smaller pieces keep I/O responsive.</summary>
    public const int PieceSize = 64 * 1024 * 1024;

    public Span<byte> Piece(long offset) => new((byte*)Address + offset, (int)Math.Min(PieceSize, Length - offset));
}

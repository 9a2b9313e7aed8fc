using System.Buffers;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>Writing a block file so that it appears whole or not at all, and reading one back with its checksum checked.</summary>
internal static class BlockFiles
{
    private const int NoSpaceLeft = 28; // ENOSPC
    private const int QuotaExceeded = 122; // EDQUOT

    /// <summary>Whether a write failed because the file system (or the user's disk quota) is full.</summary>
    public static bool IsDiskFull(IOException exception) => exception.HResult is NoSpaceLeft or QuotaExceeded;

    /// <summary>Writes to a temporary name in the same directory, flushes, and renames: a crash leaves a temporary file, never a short block.</summary>
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> contents, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temporary = Path.Combine(directory, BlockLayout.TempFileName());
        try
        {
            using (var handle = File.OpenHandle(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                await RandomAccess.WriteAsync(handle, contents, 0, cancellationToken);
                RandomAccess.FlushToDisk(handle);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>
    /// Reads the whole file into <paramref name="destination"/>; false when it is missing, of another length, or does
    /// not match <paramref name="checksum"/>.
    /// </summary>
    public static async Task<bool> TryReadAsync(string path, Memory<byte> destination, ulong checksum, CancellationToken cancellationToken)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (RandomAccess.GetLength(handle) != destination.Length)
            {
                return false;
            }

            for (var read = 0; read < destination.Length;)
            {
                var count = await RandomAccess.ReadAsync(handle, destination[read..], read, cancellationToken);
                if (count == 0)
                {
                    return false;
                }

                read += count;
            }

            return BlockLayout.Checksum(destination.Span) == checksum;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Whether the file holds <paramref name="length"/> bytes matching <paramref name="checksum"/>.</summary>
    public static async Task<bool> VerifyAsync(string path, int length, ulong checksum, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            return await TryReadAsync(path, buffer.AsMemory(0, length), checksum, cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // What cannot be deleted now is removed as debris at the next open.
        }
    }
}

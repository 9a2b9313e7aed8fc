using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>
/// Where sealed blobs go when memory runs short: one file per blob, named by its id. Files left by an earlier run
/// are deleted at start, because the objects they belonged to died with that run.
/// </summary>
internal sealed class SpillDirectory
{
    private const string Extension = ".spill";

    public SpillDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(Path);
        foreach (var stale in Directory.EnumerateFiles(Path, "*" + Extension))
        {
            File.Delete(stale);
        }
    }

    public string Path { get; }

    public Task WriteAsync(ObjectId blob, MemoryRange source, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var file = File.OpenHandle(FileOf(blob), FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None, source.Length);
            for (long offset = 0; offset < source.Length; offset += MemoryRange.PieceSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RandomAccess.Write(file, source.Piece(offset), offset);
            }
        }, cancellationToken);

    public Task ReadAsync(ObjectId blob, MemoryRange destination, CancellationToken cancellationToken) =>
        Task.Run(() =>
        {
            using var file = File.OpenHandle(FileOf(blob), FileMode.Open, FileAccess.Read, FileShare.Read);
            for (long offset = 0; offset < destination.Length;)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var read = RandomAccess.Read(file, destination.Piece(offset), offset);
                if (read == 0)
                {
                    throw new IOException($"The spill file of {blob} ends at {offset} of {destination.Length} bytes.");
                }

                offset += read;
            }
        }, cancellationToken);

    public void Delete(ObjectId blob) => File.Delete(FileOf(blob));

    private string FileOf(ObjectId blob) => System.IO.Path.Combine(Path, blob + Extension);
}

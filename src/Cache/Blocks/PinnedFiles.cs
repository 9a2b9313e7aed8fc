using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>
/// The pinned files of each dataset, kept in <c>{datasetHash}/pins.json</c> in the first directory of every tier, so
/// that pins survive a restart, and survive a reboot that empties tmpfs while a disk tier remains. The in-memory set
/// is guarded by the store's lock; writes are serialized by the store.
/// </summary>
internal sealed class PinnedFiles(IReadOnlyList<string> homes)
{
    private readonly Dictionary<string, HashSet<string>> _byDataset = new(StringComparer.Ordinal);

    public bool Contains(BlockAddress address) => _byDataset.TryGetValue(address.Dataset, out var files) && files.Contains(address.FileId);

    public string[] With(string dataset, string fileId, bool pinned)
    {
        var files = new HashSet<string>(_byDataset.GetValueOrDefault(dataset) ?? [], StringComparer.Ordinal);
        _ = pinned ? files.Add(fileId) : files.Remove(fileId);
        return [.. files.Order(StringComparer.Ordinal)];
    }

    public void Set(string dataset, string[] files)
    {
        if (files.Length == 0)
        {
            _byDataset.Remove(dataset);
        }
        else
        {
            _byDataset[dataset] = new HashSet<string>(files, StringComparer.Ordinal);
        }
    }

    /// <summary>Writes a dataset's pins atomically in each home; an empty list removes the file.</summary>
    public async Task SaveAsync(string dataset, string datasetId, string[] files, CancellationToken cancellationToken)
    {
        foreach (var home in homes)
        {
            var path = Path.Combine(home, dataset, BlockLayout.PinsFile);
            if (files.Length == 0)
            {
                File.Delete(path);
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temporary = Path.Combine(home, dataset, BlockLayout.TempFileName());
            await File.WriteAllBytesAsync(temporary, JsonSerializer.SerializeToUtf8Bytes(new PinsDocument(datasetId, files)), cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
    }

    /// <summary>Reads the pins of every dataset found in any tier directory; a pin found in any copy counts.</summary>
    public void Load(IEnumerable<string> directories, ILogger logger)
    {
        foreach (var directory in directories)
        {
            foreach (var datasetDirectory in Directory.EnumerateDirectories(directory).Where(d => BlockLayout.IsDatasetDirectory(Path.GetFileName(d))))
            {
                var path = Path.Combine(datasetDirectory, BlockLayout.PinsFile);
                if (!File.Exists(path))
                {
                    continue;
                }

                try
                {
                    var document = JsonSerializer.Deserialize<PinsDocument>(File.ReadAllBytes(path));
                    var dataset = Path.GetFileName(datasetDirectory);
                    Set(dataset, [.. (document?.Files ?? []).Where(BlockLayout.IsFileId).Concat(_byDataset.GetValueOrDefault(dataset) ?? []).Distinct()]);
                }
                catch (JsonException e)
                {
                    logger.LogWarning("Ignored the unreadable pins file {Path}: {Reason}", path, e.Message);
                }
            }
        }
    }

    /// <summary>The file's contents; the dataset id is there for people reading the directory.</summary>
    private sealed record PinsDocument(string Dataset, string[] Files);
}

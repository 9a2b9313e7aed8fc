using Fluid.Aspire.Cache.UnderStorage;
using Fluid.Aspire.Contracts.Datasets;

namespace Fluid.Aspire.Cache.Reading;

/// <summary>One mount of a dataset: its under storage, shown at <paramref name="Path"/> in the dataset's tree.</summary>
/// <param name="Path">Where the mount's files appear, as <see cref="DatasetSpec.PathOf"/> gives it: <c>/</c> or <c>/sales</c>.</param>
/// <param name="Storage">The mount's under storage.</param>
public sealed record DatasetMount(string Path, IUnderStorage Storage)
{
    /// <summary>The mounts of a dataset's spec, each connected with <paramref name="connect"/> (e.g. <see cref="UnderStorageFactory.Create"/>).</summary>
    /// <exception cref="ArgumentException">A mount has no path in the tree (several mounts, one without name or path).</exception>
    public static IReadOnlyList<DatasetMount> Of(DatasetSpec spec, Func<Mount, IUnderStorage> connect)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(connect);
        return [.. spec.Mounts.Select((mount, i) => new DatasetMount(
            spec.PathOf(mount) ?? throw new ArgumentException(
                $"mounts[{i}] ({mount.MountPoint}) has neither a name nor a path, so it has no place in a dataset of {spec.Mounts.Count} mounts; give it one, e.g. name: sales."),
            connect(mount)))];
    }

    /// <summary>The dataset path of one of the mount's files.</summary>
    internal DatasetFile FileOf(UfsFile source) =>
        new(DatasetPaths.Join(Path, source.Path), source.Length, source.Version, source.LastModified) { Mount = this, Source = source };

    /// <summary>The path inside the mount of a dataset path, or null when the path is not under this mount.</summary>
    internal string? RelativePathOf(string datasetPath) =>
        Path == "/" ? datasetPath[1..]
        : datasetPath.StartsWith(Path + "/", StringComparison.Ordinal) ? datasetPath[(Path.Length + 1)..]
        : null;
}

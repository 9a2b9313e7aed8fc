using System.Globalization;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.Contracts.Serialization;

namespace Fluid.Aspire.Cache.Blocks;

/// <summary>The tiers and block size of a node's <see cref="TieredBlockStore"/>.</summary>
public sealed class TieredBlockStoreOptions
{
    public const int DefaultBlockSize = 4 * 1024 * 1024;
    public const double DefaultHigh = 0.95;
    public const double DefaultLow = 0.7;

    /// <summary>Where a MEM level without a path keeps its blocks: a directory of its own on tmpfs.</summary>
    public const string DefaultMemoryPath = "/dev/shm/fluid-cache";

    /// <summary>The levels as Fluid's <c>tieredstore.levels</c> has them; at most one per medium, in any order.</summary>
    public IList<TieredStoreLevel> Levels { get; init; } = [];

    /// <summary>The size of a block (the last block of a file is shorter); 4 MiB by default.</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>The tiers, fastest first, with their directories created and checked to be writable.</summary>
    /// <exception cref="ArgumentException">Every mistake, each naming its field and how to fix it.</exception>
    internal IReadOnlyList<TierSettings> Resolve()
    {
        var errors = new List<string>();
        if (BlockSize <= 0)
        {
            errors.Add(Invariant($"blockSize: is {BlockSize}; it must be above 0, e.g. {DefaultBlockSize} (4 MiB)."));
        }

        if (Levels.Count == 0)
        {
            errors.Add("levels: at least one level is required, e.g. {mediumtype: MEM, quota: 2Gi}.");
        }

        var tiers = new List<TierSettings>();
        var seenDirectories = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < Levels.Count; i++)
        {
            if (Resolve(Levels[i], $"levels[{i}]", seenDirectories, errors) is { } tier)
            {
                if (tiers.Find(t => t.Medium == tier.Medium) is not null)
                {
                    errors.Add($"levels[{i}].mediumtype: {EnumNames.Of(tier.Medium)} is given twice; give each medium one level, with its directories comma-separated in path.");
                }
                else
                {
                    tiers.Add(tier);
                }
            }
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException($"The tiered block store's options are invalid: {string.Join(" ", errors)}", "options");
        }

        return [.. tiers.OrderBy(t => t.Medium)];
    }

    private TierSettings? Resolve(TieredStoreLevel level, string field, Dictionary<string, string> seenDirectories, List<string> errors)
    {
        var count = errors.Count;
        if (level.MediumType is not { } medium)
        {
            errors.Add($"{field}.mediumtype: is required; one of MEM, SSD, HDD.");
            return null;
        }

        var name = EnumNames.Of(medium);
        long quota = 0;
        if (level.Quota is null)
        {
            errors.Add($"{field}.quota: is required; how much the {name} tier may hold, e.g. 2Gi.");
        }
        else if ((quota = Quantity.Bytes(level.Quota)) <= 0)
        {
            errors.Add($"{field}.quota: is {level.Quota}; it must be above 0, e.g. 2Gi.");
        }
        else if (BlockSize > 0 && quota < BlockSize)
        {
            errors.Add(Invariant($"{field}.quota: {level.Quota} is less than one block ({BlockSize} bytes); raise the quota or lower blockSize."));
        }

        var high = Ratio(level.High, DefaultHigh, $"{field}.high", errors);
        var low = Ratio(level.Low, DefaultLow, $"{field}.low", errors);
        if (high is 0)
        {
            errors.Add($"{field}.high: is 0, so the tier could hold nothing; e.g. 0.95.");
        }

        if (high is { } h && low is { } l && l > h)
        {
            errors.Add(Invariant($"{field}.low: is {l}, above high ({h}); eviction runs from high down to low, so low must not exceed high; e.g. low 0.7 with high 0.95."));
        }

        var directories = Directories(level, medium, field, seenDirectories, errors);
        return errors.Count > count || high is null || low is null
            ? null
            : new TierSettings(medium, directories, quota, (long)(quota * high.Value), (long)(quota * low.Value));
    }

    private static double? Ratio(string? text, double fallback, string field, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) || ratio is < 0 or > 1)
        {
            errors.Add($"{field}: '{text}' is not a ratio from 0 to 1 of the quota; e.g. 0.95.");
            return null;
        }

        return ratio;
    }

    private static List<string> Directories(TieredStoreLevel level, MediumType medium, string field, Dictionary<string, string> seenDirectories, List<string> errors)
    {
        var name = EnumNames.Of(medium);
        var path = level.Path;
        if (string.IsNullOrWhiteSpace(path))
        {
            if (medium != MediumType.Memory)
            {
                errors.Add($"{field}.path: is required for mediumtype {name}; e.g. /mnt/{name.ToLowerInvariant()}/cache (several directories comma-separated).");
                return [];
            }

            path = DefaultMemoryPath;
        }

        var directories = new List<string>();
        foreach (var part in path.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!part.StartsWith('/'))
            {
                errors.Add($"{field}.path: '{part}' is not an absolute path; list absolute directories separated by commas, e.g. /mnt/ssd1,/mnt/ssd2.");
                continue;
            }

            var directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(part));
            if (seenDirectories.TryGetValue(directory, out var other))
            {
                errors.Add($"{field}.path: '{directory}' is also a directory of {other}; give each tier directories of its own.");
                continue;
            }

            seenDirectories[directory] = field;
            if (WritableDirectoryError(directory) is { } error)
            {
                errors.Add($"{field}.path: '{directory}' {error}");
                continue;
            }

            directories.Add(directory);
        }

        return directories;
    }

    /// <summary>Creates the directory if need be and writes a file in it; null when that worked, else why not.</summary>
    private static string? WritableDirectoryError(string directory)
    {
        if (File.Exists(directory))
        {
            return "is a file, not a directory; name a directory the cache may fill.";
        }

        try
        {
            Directory.CreateDirectory(directory);
            var probe = Path.Combine(directory, $".probe-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"is not a writable directory ({e.Message}); create it and let the cache agent write to it.";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A tier as the store uses it: quota and watermarks in bytes, directories checked.</summary>
internal sealed record TierSettings(MediumType Medium, IReadOnlyList<string> Directories, long Quota, long High, long Low);

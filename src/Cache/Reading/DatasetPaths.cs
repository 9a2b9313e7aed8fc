namespace Fluid.Aspire.Cache.Reading;

/// <summary>Paths in a dataset's tree: '/'-separated, from the root, without a trailing slash (<c>/</c> is the root).</summary>
internal static class DatasetPaths
{
    /// <summary>The path in its one spelling: <c>a/b</c>, <c>/a/b/</c> and <c>/a//b</c> are <c>/a/b</c>.</summary>
    /// <exception cref="ArgumentException">The path climbs with <c>..</c> or names <c>.</c>.</exception>
    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
        {
            throw new ArgumentException($"'{path}' is not a path in a dataset: it may not contain '.' or '..' segments; write it from the dataset's root, e.g. /train/part-0.csv.", nameof(path));
        }

        return "/" + string.Join('/', segments);
    }

    /// <summary>The dataset path of a mount's file.</summary>
    public static string Join(string mountPath, string relative) => mountPath == "/" ? "/" + relative : $"{mountPath}/{relative}";

    /// <summary>Whether <paramref name="path"/> is <paramref name="directory"/> or below it.</summary>
    public static bool IsUnder(string path, string directory) =>
        directory == "/" || path == directory || (path.StartsWith(directory, StringComparison.Ordinal) && path.Length > directory.Length && path[directory.Length] == '/');
}

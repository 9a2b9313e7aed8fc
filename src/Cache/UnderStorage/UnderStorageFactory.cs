using Fluid.Aspire.Contracts.Datasets;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.Cache.UnderStorage;

/// <summary>The connector for a dataset's mount, chosen by its mount point's scheme.</summary>
public static class UnderStorageFactory
{
    /// <summary>The schemes the cache can read.</summary>
    public static IReadOnlyList<string> Supported { get; } = ["local", "pvc", "http", "https", "s3"];

    /// <summary>
    /// The connector for <paramref name="mount"/>; <paramref name="secretOptions"/> are its encrypt options resolved
    /// from their secrets (e.g. <c>aws.secretKey</c>).
    /// </summary>
    public static IUnderStorage Create(Mount mount, IReadOnlyDictionary<string, string> secretOptions, UnderStorageOptions options, ILoggerFactory loggers)
    {
        var point = mount.MountPoint;
        var separator = point.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator > 0 ? point[..separator].ToLowerInvariant() : "";
        return scheme switch
        {
            "local" => new LocalUnderStorage(point["local://".Length..], point),
            "pvc" => new LocalUnderStorage(ClaimDirectory(point, options), point),
            "http" or "https" => new HttpUnderStorage(new Uri(point), mount.Options, options, loggers.CreateLogger<HttpUnderStorage>()),
            "s3" => new S3UnderStorage(point, mount.Options, secretOptions, options, loggers.CreateLogger<S3UnderStorage>()),
            _ => throw new ArgumentException(
                $"The mount point '{point}' uses the scheme '{(scheme.Length > 0 ? scheme : "(none)")}', which the cache cannot read; " +
                $"it reads {string.Join(", ", Supported.Select(s => s + "://"))}.", nameof(mount)),
        };
    }

    /// <summary>Where <c>pvc://claim/sub/path</c> is mounted on this node.</summary>
    private static string ClaimDirectory(string point, UnderStorageOptions options)
    {
        if (options.PersistentVolumeClaimRoot is not { Length: > 0 } root)
        {
            throw new ArgumentException(
                $"The mount point '{point}' names a persistent volume claim, but no claim is mounted on this node: set UnderStorageOptions.PersistentVolumeClaimRoot to where claims are mounted.");
        }

        var rest = point["pvc://".Length..].Trim('/');
        return Path.Combine(root, rest);
    }
}

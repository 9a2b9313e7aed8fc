using Aspire.Hosting;

namespace Fluid.Aspire.Hosting.Etcd;

/// <summary>Finds the etcd binary, or explains how to install it.</summary>
public static class EtcdExecutable
{
    /// <summary>The configuration key that names the etcd binary when it is not on PATH.</summary>
    public const string PathSetting = "Fluid:Etcd:Path";

    internal const string InstallHint =
        "Install etcd: 'sudo apt-get install etcd-server' on Debian or Ubuntu (./run.sh and ./test.sh do this when run " +
        "as root), 'brew install etcd' on macOS, or a release from https://github.com/etcd-io/etcd/releases. " +
        $"Or set {PathSetting} (environment variable Fluid__Etcd__Path) to the binary.";

    /// <summary>
    /// The full path of etcd: <paramref name="configuredPath"/> if given, else the first <c>etcd</c> on
    /// <paramref name="searchPath"/> (a PATH-style list).
    /// </summary>
    /// <exception cref="DistributedApplicationException">No usable etcd binary was found; the message says how to install it.</exception>
    public static string Locate(string? configuredPath, string? searchPath)
    {
        if (!string.IsNullOrWhiteSpace(configuredPath))
        {
            return File.Exists(configuredPath)
                ? Path.GetFullPath(configuredPath)
                : throw new DistributedApplicationException(
                    $"{PathSetting} is '{configuredPath}', but there is no file there. {InstallHint}");
        }

        foreach (var directory in (searchPath ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, "etcd");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DistributedApplicationException($"etcd was not found on PATH. {InstallHint}");
    }
}

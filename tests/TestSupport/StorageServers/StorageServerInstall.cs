namespace Fluid.Aspire.TestSupport.StorageServers;

/// <summary>Where a storage server that .ci/prerequisites.sh's fluid_storage_servers installs is.</summary>
internal static class StorageServerInstall
{
    /// <summary>
    /// The file the variable names (it must exist: the install ran and says it is there), else the first default that
    /// exists, else null, and the test skips.
    /// </summary>
    public static string? Find(string variable, IEnumerable<string> defaults)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } named)
        {
            return File.Exists(named)
                ? named
                : throw new InvalidOperationException($"{variable} names {named}, which does not exist; run '. .ci/prerequisites.sh && fluid_storage_servers' again.");
        }

        return defaults.FirstOrDefault(File.Exists);
    }
}

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>What is left of a stack: every part of one (AppHost, DCP, etcd, services, steps) names its state directory.</summary>
internal static class StackProcesses
{
    /// <summary>Live processes whose command line or environment names <paramref name="path"/>.</summary>
    public static List<string> Mentioning(string path)
    {
        var found = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(path, StringComparison.Ordinal) || File.ReadAllText(Path.Combine(directory, "environ")).Contains(path, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(directory)}: {commandLine}");
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }
}

namespace Fluid.Aspire.TestSupport;

/// <summary>Where the repository and the build outputs of its projects are, seen from a test assembly.</summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding Fluid.Aspire.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: whichever configuration the running tests were built in.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";

    /// <summary>The built assembly of a project, e.g. <c>Output("AppHost", "Fluid.Aspire.AppHost")</c>.</summary>
    public static string Output(string projectDirectory, string assemblyName) =>
        Path.Combine(Root, projectDirectory, "bin", Configuration, "net10.0", assemblyName + ".dll");

    /// <summary>The dotnet host, to start other .NET programs with: this process's own when it runs under dotnet
    /// (tests), else the one the SDK names, else the one on PATH (a program started through its apphost).</summary>
    public static string DotnetHost =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
                ? host
                : "dotnet";

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Fluid.Aspire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Fluid.Aspire.sln above {AppContext.BaseDirectory}.");
    }
}

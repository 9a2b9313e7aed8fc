using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Cli.Tests;

/// <summary>fluid as users get it: packed as a dotnet tool, installed from the package, run by its command name.</summary>
public sealed class PackageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_tool_package_installs_and_runs_as_fluid()
    {
        using var scratch = new TemporaryDirectory();
        var packages = Path.Combine(scratch.Path, "packages");
        var tools = Path.Combine(scratch.Path, "tools");
        var config = Path.Combine(scratch.Path, "nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{packages}" />
              </packageSources>
            </configuration>
            """, Cancellation);
        // A cache of its own, so that an earlier build's package of the same version is never installed instead.
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Path.Combine(scratch.Path, "cache") };

        // The tests were built with the tool: pack that build rather than build it again.
        await RunAsync(RepositoryPaths.DotnetHost,
            ["pack", Path.Combine(RepositoryPaths.Root, "src/Cli/Fluid.Aspire.Cli.csproj"), "-c", RepositoryPaths.Configuration, "--no-build", "-o", packages],
            environment);
        Assert.Equal(["Fluid.Cli.0.1.0.nupkg"], Directory.GetFiles(packages).Select(Path.GetFileName));
        await RunAsync(RepositoryPaths.DotnetHost,
            ["tool", "install", "Fluid.Cli", "--version", "0.1.0", "--tool-path", tools, "--configfile", config], environment);

        var help = await RunAsync(Path.Combine(tools, "fluid"), ["--help"], environment);
        var version = await RunAsync(Path.Combine(tools, "fluid"), ["--version"], environment);

        Assert.Contains("Usage:\n  fluid [command] [options]", help, StringComparison.Ordinal);
        foreach (var command in new[] { "get", "describe", "logs", "delete" })
        {
            Assert.Contains($"\n  {command} ", help, StringComparison.Ordinal);
        }

        Assert.StartsWith("0.1.0", version, StringComparison.Ordinal);
    }

    /// <summary>Runs a program to its end and returns its output; fails the test, with that output, unless it succeeds.</summary>
    private static async Task<string> RunAsync(string program, string[] arguments, Dictionary<string, string?> environment)
    {
        await using var process = ChildProcess.Start(program, arguments, environment);
        var exitCode = await process.WaitForExitAsync(Patience, Cancellation);
        Assert.True(exitCode == 0, $"{Path.GetFileName(program)} {string.Join(' ', arguments)} exited with {exitCode}:\n{process.Output}");
        return process.Output;
    }
}

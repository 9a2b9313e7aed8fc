using System.Text.Json;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>A project's .NET SDK container settings, as MSBuild evaluates them for <c>dotnet publish -t:PublishContainer</c>.</summary>
internal static class ContainerSettings
{
    /// <summary>The image repository and tag; fails unless the image runs as the non-root <c>app</c> user.</summary>
    public static (string Repository, string Tag) Read(string project)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(RepositoryPaths.DotnetHost)
        {
            ArgumentList = { "msbuild", project, "-getProperty:ContainerRepository", "-getProperty:ContainerImageTag", "-getProperty:ContainerUser", "-getProperty:EnableSdkContainerSupport" },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet msbuild {project} failed:\n{output}");
        var properties = JsonDocument.Parse(output).RootElement.GetProperty("Properties");
        Assert.Equal("app", properties.GetProperty("ContainerUser").GetString());
        Assert.Equal("true", properties.GetProperty("EnableSdkContainerSupport").GetString());
        return (properties.GetProperty("ContainerRepository").GetString()!, properties.GetProperty("ContainerImageTag").GetString()!);
    }
}

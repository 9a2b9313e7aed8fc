using System.Reflection;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Fluid.Aspire.Hosting;

/// <summary>
/// A service project of the stack. Its path was recorded in this assembly when it was built, and it was built
/// with it (see the project file), so Aspire runs it without building it again.
/// </summary>
internal abstract class FluidProject(string component) : IProjectMetadata
{
    public string ProjectPath { get; } = PathOf(component);

    public bool SuppressBuild => true;

    private static string PathOf(string component)
    {
        var key = $"Fluid.Aspire.Project.{component}";
        var path = typeof(FluidProject).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value;
        return path is not null && File.Exists(path)
            ? path
            : throw new DistributedApplicationException(
                $"The {component} project ('{path}') is not where Fluid.Aspire.Hosting was built from. Build the " +
                "AppHost from the Fluid.Aspire source tree (dotnet build Fluid.Aspire.sln).");
    }
}

/// <summary>Tells the stack's own service projects from an application's.</summary>
internal static class FluidProjects
{
    public static bool IsStackService(ProjectResource project) =>
        project.Annotations.OfType<IProjectMetadata>().Any(metadata => metadata is FluidProject);
}

internal sealed class ControllerProject() : FluidProject("Controller");

internal sealed class ObjectStoreProject() : FluidProject("ObjectStore");

internal sealed class CacheAgentProject() : FluidProject("CacheAgent");

internal sealed class ApiServerProject() : FluidProject("ApiServer");

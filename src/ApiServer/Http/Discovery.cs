using Fluid.Aspire.ApiServer.Kinds;
using k8s.Models;

namespace Fluid.Aspire.ApiServer.Http;

/// <summary>
/// Kubernetes' discovery documents (the legacy, unaggregated form, which every client falls back to): the core
/// versions at <c>/api</c>, the groups at <c>/apis</c>, and each group version's resources with their verbs, short
/// names and categories, which is what <c>kubectl api-resources</c> prints and how kubectl maps <c>ds</c> to datasets.
/// </summary>
internal static class Discovery
{
    /// <summary>The Kubernetes version the local API reports; its behaviour follows this release where it serves a kind.</summary>
    public static VersionInfo Version { get; } = new()
    {
        Major = "1",
        Minor = "35",
        GitVersion = "v1.35.0-fluid-aspire",
        GitCommit = "",
        GitTreeState = "clean",
        BuildDate = "2026-01-01T00:00:00Z",
        GoVersion = "none (Fluid.Aspire local API on .NET)",
        Compiler = "dotnet",
        Platform = "linux/amd64",
    };

    public static V1APIVersions CoreVersions(string serverAddress) => new()
    {
        ApiVersion = "v1",
        Kind = "APIVersions",
        Versions = ["v1"],
        ServerAddressByClientCIDRs = [new V1ServerAddressByClientCIDR { ClientCIDR = "0.0.0.0/0", ServerAddress = serverAddress }],
    };

    public static V1APIGroupList Groups() => new()
    {
        ApiVersion = "v1",
        Kind = "APIGroupList",
        Groups = [.. ServedKinds.GroupVersions.Where(g => g.Group.Length > 0).Select(g => Group(g.Group)!)],
    };

    /// <summary>A group's versions, or null when the group is not served.</summary>
    public static V1APIGroup? Group(string group)
    {
        var versions = ServedKinds.GroupVersions.Where(g => g.Group == group)
            .Select(g => new V1GroupVersionForDiscovery { GroupVersion = $"{group}/{g.Version}", Version = g.Version }).ToList();
        return versions.Count == 0 ? null : new V1APIGroup
        {
            ApiVersion = "v1",
            Kind = "APIGroup",
            Name = group,
            Versions = versions,
            PreferredVersion = versions[0],
        };
    }

    /// <summary>The resources of a group version, or null when it is not served.</summary>
    public static V1APIResourceList? Resources(string group, string version)
    {
        var kinds = ServedKinds.All.Where(k => k.Group == group && k.Version == version).ToList();
        if (kinds.Count == 0)
        {
            return null;
        }

        var resources = new List<V1APIResource>();
        foreach (var kind in kinds)
        {
            resources.Add(new V1APIResource
            {
                Name = kind.Plural,
                SingularName = kind.Singular,
                Namespaced = kind.Namespaced,
                Kind = kind.Kind,
                Verbs = [.. ServedKind.Verbs],
                ShortNames = kind.ShortNames.Count == 0 ? null : [.. kind.ShortNames],
                Categories = kind.Categories.Count == 0 ? null : [.. kind.Categories],
            });
            if (kind.HasStatus)
            {
                resources.Add(new V1APIResource
                {
                    Name = $"{kind.Plural}/status",
                    SingularName = "",
                    Namespaced = kind.Namespaced,
                    Kind = kind.Kind,
                    Verbs = ["get", "patch", "update"],
                });
            }

            if (kind == ServedKinds.Pod)
            {
                resources.Add(new V1APIResource { Name = "pods/log", SingularName = "", Namespaced = true, Kind = "Pod", Verbs = ["get"] });
            }
        }

        return new V1APIResourceList
        {
            ApiVersion = "v1",
            Kind = "APIResourceList",
            GroupVersion = group.Length == 0 ? version : $"{group}/{version}",
            Resources = resources,
        };
    }
}

using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Pods;
using k8s.Models;

namespace Fluid.Aspire.Controller.Tests.Pods;

/// <summary>A dataset as the volumes of a step's container: each source where the dataset's tree puts it, under the step's mount path.</summary>
public sealed class StepDatasetVolumesTests
{
    private static Dataset Dataset(List<AccessMode>? access = null, params Mount[] mounts) => new()
    {
        Metadata = new V1ObjectMeta { Name = "housing", NamespaceProperty = "ml" },
        Spec = new DatasetSpec { Mounts = [.. mounts], AccessModes = access ?? [] },
    };

    private static List<(string MountPath, string Volume, string? SubPath, bool ReadOnly)> Mounted(Dataset dataset, DatasetReference reference)
    {
        var (volumes, mounts) = StepDatasetVolumes.For(dataset, reference);
        var byName = volumes.ToDictionary(v => v.Name);
        return [.. mounts.Select(m => (m.MountPath, Describe(byName[m.Name]), m.SubPath, m.ReadOnlyProperty == true))];
    }

    private static string Describe(V1Volume volume) =>
        volume.HostPath is { } host ? $"host:{host.Path}" : volume.PersistentVolumeClaim is { } claim ? $"pvc:{claim.ClaimName}" : "other";

    [Fact]
    public void A_lone_local_source_is_the_nodes_directory_at_the_mount_path_read_only()
    {
        var mounted = Mounted(Dataset(null, new Mount { MountPoint = "local:///srv/housing" }), new DatasetReference { Name = "housing", MountPath = "/input/" });

        Assert.Equal([("/input", "host:/srv/housing", null, true)], mounted);
    }

    [Fact]
    public void Several_sources_appear_at_their_paths_in_the_tree_and_a_claims_sub_path_is_kept()
    {
        var dataset = Dataset([AccessMode.ReadWriteMany],
            new Mount { MountPoint = "local:///srv/raw", Name = "raw" },
            new Mount { MountPoint = "pvc://features/v2", Path = "/derived/features", ReadOnly = true },
            new Mount { MountPoint = "s3://bucket/remote", Name = "remote" });

        var mounted = Mounted(dataset, new DatasetReference { Name = "housing" });

        // The s3 source has no volume: only the cache agent reads it.
        Assert.Equal([(StepDatasetVolumes.DefaultMountPath + "/raw", "host:/srv/raw", null, false), ("/data/derived/features", "pvc:features", "v2", true)], mounted);
    }

    [Fact]
    public void A_sub_path_shows_only_that_part_of_the_tree()
    {
        var dataset = Dataset(null,
            new Mount { MountPoint = "local:///srv/raw", Name = "raw" },
            new Mount { MountPoint = "pvc://features/v2", Name = "features" });

        var inside = Mounted(dataset, new DatasetReference { Name = "housing", MountPath = "/work", SubPath = "features/2025" });
        var above = Mounted(dataset, new DatasetReference { Name = "housing", MountPath = "/work", SubPath = "raw" });

        Assert.Equal([("/work", "pvc:features", "v2/2025", true)], inside);
        Assert.Equal([("/work", "host:/srv/raw", null, true)], above);
    }
}

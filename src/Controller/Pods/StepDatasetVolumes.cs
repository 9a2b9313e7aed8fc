using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using k8s.Models;

namespace Fluid.Aspire.Controller.Pods;

/// <summary>
/// A step's dataset as volumes of its container, the dataset's tree (from <c>spec.dataset.subPath</c>) appearing at
/// <c>spec.dataset.mountPath</c>: a <c>local://</c> source is a directory of the node (hostPath), a <c>pvc://</c>
/// source its claim. Sources that only the cache agent reads (http, s3, …) get no volume.
/// </summary>
public static class StepDatasetVolumes
{
    /// <summary>Where a container sees its dataset when the step does not say.</summary>
    public const string DefaultMountPath = "/data";

    /// <summary>Where the step's container sees its dataset.</summary>
    public static string MountPathOf(DatasetReference reference) =>
        reference.MountPath is { Length: > 0 } path ? path.TrimEnd('/') : DefaultMountPath;

    public static (IReadOnlyList<V1Volume> Volumes, IReadOnlyList<V1VolumeMount> Mounts) For(Dataset dataset, DatasetReference reference)
    {
        var target = MountPathOf(reference);
        var shown = "/" + (reference.SubPath ?? "").Trim('/');
        var readOnly = !dataset.Spec.AllowsWrites();
        var volumes = new List<V1Volume>();
        var mounts = new List<V1VolumeMount>();
        for (var index = 0; index < dataset.Spec.Mounts.Count; index++)
        {
            var mount = dataset.Spec.Mounts[index];
            var (source, sourcePath) = Source(mount);
            if (source is null || dataset.Spec.PathOf(mount) is not { } inTree)
            {
                continue;
            }

            // Either the mount lies inside the part of the tree shown, or the part shown lies inside the mount.
            string at, within;
            if (Within(inTree, shown))
            {
                at = (target + inTree[shown.TrimEnd('/').Length..]).TrimEnd('/');
                within = sourcePath;
            }
            else if (Within(shown, inTree))
            {
                at = target;
                within = Join(sourcePath, shown[inTree.TrimEnd('/').Length..]);
            }
            else
            {
                continue;
            }

            source.Name = $"dataset-{index}";
            volumes.Add(source);
            mounts.Add(new V1VolumeMount
            {
                Name = source.Name,
                MountPath = at.Length == 0 ? "/" : at,
                SubPath = within.Length == 0 ? null : within,
                ReadOnlyProperty = readOnly || mount.ReadOnly,
            });
        }

        return (volumes, mounts);
    }

    /// <summary>The volume of a source, and the path within it where the mount's data is.</summary>
    private static (V1Volume? Volume, string Path) Source(Mount mount)
    {
        var point = mount.MountPoint;
        if (point.StartsWith("local://", StringComparison.Ordinal))
        {
            return (new V1Volume { HostPath = new V1HostPathVolumeSource { Path = point["local://".Length..], Type = "Directory" } }, "");
        }

        if (point.StartsWith("pvc://", StringComparison.Ordinal))
        {
            var claim = point["pvc://".Length..].Split('/', 2);
            return (new V1Volume { PersistentVolumeClaim = new V1PersistentVolumeClaimVolumeSource { ClaimName = claim[0] } }, claim.Length > 1 ? claim[1].Trim('/') : "");
        }

        return (null, "");
    }

    private static bool Within(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);

    private static string Join(string left, string right) => string.Join('/', new[] { left.Trim('/'), right.Trim('/') }.Where(p => p.Length > 0));
}

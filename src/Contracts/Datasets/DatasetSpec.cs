using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Datasets;

/// <summary>What a dataset is made of and where it may live.</summary>
public sealed class DatasetSpec
{
    /// <summary>The sources, each shown under its own path (or at the root when there is one).</summary>
    [Required(Example = "[{\"mountPoint\": \"s3://bucket/housing\"}]")]
    [Unique(nameof(Mount.Name))]
    public List<Mount> Mounts { get; set; } = [];

    /// <summary>The nodes that may cache the data; any node when unset.</summary>
    public NodeAffinity? NodeAffinity { get; set; }

    /// <summary>Whether the cache may share a node with other datasets' caches; Exclusive when unset, as in Fluid.</summary>
    public Placement? Placement { get; set; }

    /// <summary>How the data may be accessed; ReadOnlyMany when empty, as in Fluid.</summary>
    public List<AccessMode> AccessModes { get; set; } = [];

    /// <summary>Where one of the mounts appears in the dataset's tree: its path, or <c>/</c> for a lone mount, or <c>/{name}</c>; null when it has neither.</summary>
    public string? PathOf(Mount mount) =>
        !string.IsNullOrEmpty(mount.Path) ? mount.Path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/"
        : Mounts.Count == 1 ? "/"
        : string.IsNullOrEmpty(mount.Name) ? null
        : "/" + mount.Name;

    /// <summary>Whether the data may be written: an access mode other than ReadOnlyMany is asked for.</summary>
    public bool AllowsWrites() => AccessModes.Any(m => m != AccessMode.ReadOnlyMany);
}

/// <summary>One source of a dataset.</summary>
public sealed class Mount
{
    /// <summary>The schemes a mount point may use, without <c>://</c>.</summary>
    public static IReadOnlyList<string> Schemes { get; } = ["local", "pvc", "http", "https", "s3", "oss", "hdfs", "objectstore"];

    /// <summary>
    /// Where the data is: <c>local:///abs/path</c>, <c>pvc://claim/sub/path</c>, <c>http(s)://host/path</c>,
    /// <c>s3://bucket/prefix</c>, <c>oss://bucket/prefix</c>, <c>hdfs://namenode:8020/path</c>, or
    /// <c>objectstore://prefix</c> for objects that already live in this project's object store.
    /// </summary>
    [Required(Example = "s3://bucket/housing")]
    [Scheme("local", "pvc", "http", "https", "s3", "oss", "hdfs", "objectstore")]
    public string MountPoint { get; set; } = "";

    /// <summary>The mount's name; the default <see cref="Path"/> is <c>/{name}</c>.</summary>
    [DnsLabel(Example = "sales")]
    public string? Name { get; set; }

    /// <summary>
    /// Where the mount appears in the dataset's tree: <c>/</c> when unset and it is the only mount, else <c>/{name}</c>.
    /// Mounts may not nest: each needs a path of its own.
    /// </summary>
    [AbsolutePath]
    public string? Path { get; set; }

    /// <summary>True when the source may not be written through the cache.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>True when the mount is shared by all users of the dataset rather than per user.</summary>
    public bool Shared { get; set; }

    /// <summary>Options for the source, e.g. <c>aws.region</c>; secrets belong in <see cref="EncryptOptions"/>.</summary>
    public Dictionary<string, string> Options { get; set; } = [];

    /// <summary>Options whose values come from secrets, e.g. access keys.</summary>
    [Unique(nameof(EncryptOption.Name))]
    public List<EncryptOption> EncryptOptions { get; set; } = [];
}

/// <summary>An option whose value is read from a secret, so that it never appears in the resource.</summary>
public sealed class EncryptOption
{
    /// <summary>The option's name, e.g. <c>aws.secretKey</c>.</summary>
    [Required(Example = "aws.secretKey")]
    public string Name { get; set; } = "";

    /// <summary>Where the value comes from.</summary>
    [Required(Example = "{\"secretKeyRef\": {\"name\": \"s3-credentials\", \"key\": \"secretKey\"}}")]
    public EncryptOptionSource ValueFrom { get; set; } = new();
}

/// <summary>The source of an encrypted option's value.</summary>
public sealed class EncryptOptionSource
{
    /// <summary>A key of a secret in the dataset's namespace.</summary>
    [Required(Example = "{\"name\": \"s3-credentials\", \"key\": \"secretKey\"}")]
    public SecretKeySelector SecretKeyRef { get; set; } = new();
}

/// <summary>One key of a secret.</summary>
public sealed class SecretKeySelector
{
    /// <summary>The secret's name.</summary>
    [Required(Example = "s3-credentials")]
    [DnsSubdomain]
    public string Name { get; set; } = "";

    /// <summary>The key within the secret.</summary>
    [Required(Example = "secretKey")]
    [Pattern(@"^[-._a-zA-Z0-9]{1,253}$", "a secret key (letters, digits, '-', '_' and '.')", Example = "secretKey")]
    public string Key { get; set; } = "";
}

/// <summary>Whether a dataset's cache may share nodes with other datasets' caches.</summary>
public enum Placement
{
    /// <summary>One dataset's cache per node.</summary>
    Exclusive,

    /// <summary>Caches of several datasets may share a node.</summary>
    Shared,
}

/// <summary>Kubernetes' volume access modes.</summary>
public enum AccessMode
{
    /// <summary>Read and written by one node.</summary>
    ReadWriteOnce,

    /// <summary>Read by many nodes.</summary>
    ReadOnlyMany,

    /// <summary>Read and written by many nodes.</summary>
    ReadWriteMany,

    /// <summary>Read and written by one pod (one process here).</summary>
    ReadWriteOncePod,
}

namespace Fluid.Aspire.Cli.Kinds;

/// <summary>The kinds the commands know, by every name they answer to.</summary>
internal static class Kinds
{
    public static IReadOnlyList<Kind> All { get; } = [new DatasetKind(), new ObjectStoreRuntimeKind(), new CacheRuntimeKind(), new DataProcessKind(), new NodeKind(), new EventKind()];

    /// <summary>How the kinds are named in help and errors: <c>dataset (datasets, ds)</c>.</summary>
    public static string Known => string.Join("; ", All.Select(k => $"{k.Names[0]} ({string.Join(", ", k.Names.Skip(1))})"));

    /// <summary>The kind called <paramref name="name"/> (any case, singular, plural, short or qualified).</summary>
    /// <exception cref="CliException">No such kind (a usage error); the message lists the known ones.</exception>
    public static Kind Find(string name) => TryFind(name) ?? throw CliException.Usage(Unknown(name));

    /// <summary>The kind called <paramref name="name"/>, or null.</summary>
    public static Kind? TryFind(string? name) =>
        name is null ? null
        : All.FirstOrDefault(k => k.Names.Contains(name.ToLowerInvariant()))
            ?? All.FirstOrDefault(k => string.Equals(k.Qualified, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The message for a kind that does not exist: the known ones.</summary>
    public static string Unknown(string? name) => $"'{name}' is not a kind fluid knows; use one of: {Known}.";
}

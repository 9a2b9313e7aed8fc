using System.Globalization;

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>One thing wrong with a resource: where (a Kubernetes-style field path) and what, with a good example.</summary>
/// <param name="Path">The field, e.g. <c>spec.mounts[0].mountPoint</c> or <c>metadata.labels[app]</c>.</param>
/// <param name="Message">The rule that was broken and an example of a good value.</param>
public sealed record FieldError(string Path, string Message)
{
    /// <summary><c>path: message</c>.</summary>
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Builds field paths as Kubernetes prints them: <c>spec.mounts[0].options[key]</c>.</summary>
public static class FieldPath
{
    /// <summary><c>parent.name</c>, or <c>name</c> at the root.</summary>
    public static string Child(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    /// <summary><c>parent[index]</c>.</summary>
    public static string Index(string parent, int index) => string.Create(CultureInfo.InvariantCulture, $"{parent}[{index}]");

    /// <summary><c>parent[key]</c>.</summary>
    public static string Key(string parent, string key) => $"{parent}[{key}]";
}

namespace Fluid.Aspire.Contracts.Validation;

/// <summary>A resource broke validation rules; the message lists every error, one per line.</summary>
public sealed class ResourceInvalidException : Exception
{
    /// <summary>The errors of <paramref name="resource"/>.</summary>
    public ResourceInvalidException(Resource resource, IReadOnlyList<FieldError> errors)
        : base(Describe(resource, errors))
    {
        Errors = errors;
    }

    /// <summary>An error without field details.</summary>
    public ResourceInvalidException()
        : this("The resource is invalid.")
    {
    }

    /// <summary>An error without field details.</summary>
    public ResourceInvalidException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>An error without field details.</summary>
    public ResourceInvalidException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Every error found.</summary>
    public IReadOnlyList<FieldError> Errors { get; }

    private static string Describe(Resource resource, IReadOnlyList<FieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(resource);
        ArgumentNullException.ThrowIfNull(errors);
        var name = string.IsNullOrEmpty(resource.Metadata.Name) ? "(no name)" : $"{resource.Metadata.NamespaceProperty}/{resource.Metadata.Name}";
        return $"{resource.Kind} {name} is invalid ({errors.Count} {(errors.Count == 1 ? "error" : "errors")}):" +
            string.Concat(errors.Select(e => $"{Environment.NewLine}  {e}"));
    }
}

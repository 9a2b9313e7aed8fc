namespace Fluid.Aspire.Contracts.Store;

/// <summary>A request the resource store refused; the message says what to do. <see cref="StatusCode"/> is the HTTP status Kubernetes would answer.</summary>
public class ResourceStoreException : Exception
{
    /// <inheritdoc />
    public ResourceStoreException()
        : this("The resource store refused the request.")
    {
    }

    /// <inheritdoc />
    public ResourceStoreException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The HTTP status Kubernetes would answer.</summary>
    public virtual int StatusCode => 500;
}

/// <summary>404: no such resource.</summary>
public sealed class ResourceNotFoundException : ResourceStoreException
{
    /// <inheritdoc />
    public ResourceNotFoundException()
    {
    }

    /// <inheritdoc />
    public ResourceNotFoundException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 404;
}

/// <summary>409: a resource of that name exists.</summary>
public sealed class ResourceAlreadyExistsException : ResourceStoreException
{
    /// <inheritdoc />
    public ResourceAlreadyExistsException()
    {
    }

    /// <inheritdoc />
    public ResourceAlreadyExistsException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 409;
}

/// <summary>409: the resource changed since it was read.</summary>
public sealed class ResourceConflictException : ResourceStoreException
{
    /// <inheritdoc />
    public ResourceConflictException()
    {
    }

    /// <inheritdoc />
    public ResourceConflictException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 409;
}

/// <summary>410: the version a watch asked for is older than the history kept; list again.</summary>
public sealed class ResourceExpiredException : ResourceStoreException
{
    /// <inheritdoc />
    public ResourceExpiredException()
    {
    }

    /// <inheritdoc />
    public ResourceExpiredException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceExpiredException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 410;
}

/// <summary>503: the store cannot be reached.</summary>
public sealed class ResourceStoreUnavailableException : ResourceStoreException
{
    /// <inheritdoc />
    public ResourceStoreUnavailableException()
    {
    }

    /// <inheritdoc />
    public ResourceStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public ResourceStoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <inheritdoc />
    public override int StatusCode => 503;
}

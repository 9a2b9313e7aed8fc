using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Operations;

/// <summary>
/// Follows <c>runAfter</c> from an operation to the operations it waits for. Each operation waits for at most one
/// other, so the chain either ends or comes back to an operation already seen: a cycle whose steps would wait for
/// each other forever. The store refuses to write one; the controller fails the steps of one that slipped through.
/// </summary>
public static class RunAfterChain
{
    /// <summary>The field that makes the cycle, for error messages.</summary>
    public const string Field = "spec.runAfter";

    /// <summary>Reads an operation of a kind by namespace and name; null when there is none.</summary>
    public delegate ValueTask<IOperation?> Lookup(ResourceKind kind, string namespaceName, string name, CancellationToken cancellationToken);

    /// <summary>
    /// The names along the cycle that leads from <paramref name="operation"/> back to it, e.g. <c>a → b → a</c>, or
    /// null when its chain ends (or reaches a cycle it is not part of, which is the other operations' error).
    /// <paramref name="operation"/> is taken as given, not as stored, so that a write can be checked before it is made.
    /// </summary>
    public static async ValueTask<string?> FindCycleAsync(IOperation operation, Lookup lookup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(lookup);
        var start = Identity(operation.Kind, operation.Metadata.NamespaceProperty, operation.Metadata.Name);
        var chain = new List<(string Kind, string Namespace, string Name)> { start };
        var current = operation;
        while (current.Spec.RunAfter is { } after && ResourceKinds.FindByKind(after.Kind) is { IsOperation: true } kind)
        {
            var next = Identity(kind.Kind, after.Namespace ?? current.Metadata.NamespaceProperty, after.Name);
            if (next == start)
            {
                chain.Add(next);
                return Describe(chain);
            }

            if (chain.Contains(next))
            {
                return null;
            }

            if (await lookup(kind, next.Namespace, next.Name, cancellationToken) is not { } found)
            {
                return null;
            }

            chain.Add(next);
            current = found;
        }

        return null;
    }

    /// <summary>Throws when <paramref name="operation"/> would wait for itself through <c>runAfter</c>.</summary>
    /// <exception cref="ResourceInvalidException">The chain of <c>runAfter</c> comes back to the operation; the message names it.</exception>
    public static async ValueTask EnsureNoCycleAsync(IOperation operation, Lookup lookup, CancellationToken cancellationToken = default)
    {
        if (await FindCycleAsync(operation, lookup, cancellationToken) is { } cycle && operation is Resource resource)
        {
            throw new ResourceInvalidException(resource, [new FieldError(Field, CycleMessage(cycle))]);
        }
    }

    /// <summary>Why a cycle is an error, and what to do about it.</summary>
    public static string CycleMessage(string cycle) =>
        $"runAfter makes a cycle ({cycle}): these steps would wait for each other forever; point runAfter of one of them at a step outside the cycle, or remove it.";

    private static (string Kind, string Namespace, string Name) Identity(string kind, string? namespaceName, string name) =>
        (kind, string.IsNullOrEmpty(namespaceName) ? Resource.DefaultNamespace : namespaceName, name);

    private static string Describe(List<(string Kind, string Namespace, string Name)> chain)
    {
        var oneNamespace = chain.Select(c => c.Namespace).Distinct().Count() == 1;
        return string.Join(" → ", chain.Select(c => oneNamespace ? c.Name : $"{c.Namespace}/{c.Name}"));
    }
}

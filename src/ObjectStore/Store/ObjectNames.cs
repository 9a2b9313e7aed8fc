using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Store;

/// <summary>The rules for object names, which also become etcd keys once persisted.</summary>
internal static class ObjectNames
{
    public const int MaxLength = 253;

    public static void Validate(string name)
    {
        string? problem = null;
        if (name.Length is 0 or > MaxLength)
        {
            problem = $"must have 1 to {MaxLength} characters";
        }
        else if (name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            problem = "must not contain spaces or control characters";
        }
        else if (ObjectId.LooksLikeId(name))
        {
            problem = "must not look like an object id (o and 16 hex digits), or gets by name and by id would be ambiguous";
        }

        if (problem is not null)
        {
            throw new ObjectStoreException(ObjectStoreErrorCode.InvalidArgument,
                $"The object name '{name}' {problem}; use names like x_train or run-42/model.");
        }
    }
}

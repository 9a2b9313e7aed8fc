using System.Collections.Concurrent;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// How typed values become objects and back. Each type registers, under its type name, a resolver that turns a
/// got object into a typed view (over the shared memory, without copying) and optionally a builder that puts a
/// value; <see cref="ObjectStoreClient.GetAsync{T}(string, GetOptions?, CancellationToken)"/> and
/// <see cref="ObjectStoreClient.PutValueAsync{T}(T, PutOptions?, CancellationToken)"/> look them up. New types plug in
/// the same way the built-in ones do.
/// </summary>
public static class ObjectTypes
{
    /// <summary>Raw bytes: one blob, member <c>data</c>.</summary>
    public const string BufferTypeName = "fluid::Buffer";

    private static readonly ConcurrentDictionary<(string TypeName, Type View), Func<ObjectHandle, object>> Resolvers = new();
    private static readonly ConcurrentDictionary<Type, Func<ObjectStoreClient, object, PutOptions, CancellationToken, Task<ObjectId>>> Builders = new();

    static ObjectTypes()
    {
        Register<ObjectHandle>(BufferTypeName, handle => handle);
        Tensors.TensorObjects.RegisterAll();
        Arrow.ArrowObjects.RegisterAll();
    }

    /// <summary>The metadata of a buffer object around one blob.</summary>
    public static ObjectMeta Buffer(ObjectMeta blob) => new()
    {
        TypeName = BufferTypeName,
        Members = new Dictionary<string, ObjectMeta> { ["data"] = blob },
    };

    /// <summary>Registers how objects of <paramref name="typeName"/> are read as <typeparamref name="TView"/>.</summary>
    public static void Register<TView>(string typeName, Func<ObjectHandle, TView> resolve)
        where TView : IDisposable => Resolvers[(typeName, typeof(TView))] = handle => resolve(handle);

    /// <summary>Registers how values of <typeparamref name="TValue"/> are put.</summary>
    public static void RegisterBuilder<TValue>(Func<ObjectStoreClient, TValue, PutOptions, CancellationToken, Task<ObjectId>> put)
        where TValue : notnull => Builders[typeof(TValue)] = (client, value, options, cancellationToken) => put(client, (TValue)value, options, cancellationToken);

    internal static TView Resolve<TView>(ObjectHandle handle)
    {
        EnsureInitialized();
        return Resolvers.TryGetValue((handle.TypeName, typeof(TView)), out var resolve)
            ? (TView)resolve(handle)
            : throw new InvalidOperationException(
                $"{handle.Meta} cannot be read as {typeof(TView).Name}: no resolver is registered for that pair. " +
                $"Readable as: {string.Join(", ", Resolvers.Keys.Where(k => k.TypeName == handle.TypeName).Select(k => k.View.Name).DefaultIfEmpty("nothing registered"))}.");
    }

    internal static Task<ObjectId> Build<TValue>(ObjectStoreClient client, TValue value, PutOptions options, CancellationToken cancellationToken)
        where TValue : notnull
    {
        EnsureInitialized();
        return Builders.TryGetValue(value.GetType(), out var put) || Builders.TryGetValue(typeof(TValue), out put)
            ? put(client, value, options, cancellationToken)
            : throw new InvalidOperationException(
                $"No builder is registered for {value.GetType().Name}; register one with ObjectTypes.RegisterBuilder, or put its bytes with PutAsync.");
    }

    /// <summary>Runs the static constructor, which registers the built-in types.</summary>
    private static void EnsureInitialized()
    {
    }
}

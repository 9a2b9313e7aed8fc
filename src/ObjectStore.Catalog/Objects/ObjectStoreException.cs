namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>A request the object store refused, with the reason and what to do about it in the message.</summary>
public class ObjectStoreException : Exception
{
    public ObjectStoreException(ObjectStoreErrorCode code, string message, Exception? inner = null)
        : base(message, inner)
    {
        Code = code;
    }

    public ObjectStoreException()
        : this(ObjectStoreErrorCode.Internal, "The object store failed.")
    {
    }

    public ObjectStoreException(string message)
        : this(ObjectStoreErrorCode.Internal, message)
    {
    }

    public ObjectStoreException(string message, Exception innerException)
        : this(ObjectStoreErrorCode.Internal, message, innerException)
    {
    }

    public ObjectStoreErrorCode Code { get; }
}

/// <summary>A put that does not fit: how much was asked for, and how much the store has and uses.</summary>
public sealed class NotEnoughMemoryException : ObjectStoreException
{
    public NotEnoughMemoryException(string message, long requested, long available, long used, long capacity)
        : base(ObjectStoreErrorCode.NotEnoughMemory, message)
    {
        Requested = requested;
        Available = available;
        Used = used;
        Capacity = capacity;
    }

    public NotEnoughMemoryException()
        : base(ObjectStoreErrorCode.NotEnoughMemory, "NotEnoughMemory")
    {
    }

    public NotEnoughMemoryException(string message)
        : base(ObjectStoreErrorCode.NotEnoughMemory, message)
    {
    }

    public NotEnoughMemoryException(string message, Exception innerException)
        : base(ObjectStoreErrorCode.NotEnoughMemory, message, innerException)
    {
    }

    public long Requested { get; }

    /// <summary>The largest request that could be served now.</summary>
    public long Available { get; }

    public long Used { get; }

    public long Capacity { get; }

    /// <summary>The error for a request of <paramref name="requested"/> bytes, with the sizes in the message.</summary>
    public static NotEnoughMemoryException For(long requested, long available, long used, long capacity, string? hint = null) =>
        new(Describe(requested, available, used, capacity, hint), requested, available, used, capacity);

    private static string Describe(long requested, long available, long used, long capacity, string? hint) =>
        $"NotEnoughMemory: requested {ByteSize.Format(requested)} ({requested} bytes), available {ByteSize.Format(available)} " +
        $"({available} bytes), used {ByteSize.Format(used)} of {ByteSize.Format(capacity)}. " +
        (hint ?? "Delete objects no longer needed, release the ones you hold, start the daemon with a larger --size, " +
            "or give it a --spill-path.");
}

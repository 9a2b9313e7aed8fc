namespace Fluid.Aspire.ObjectStore.Objects;

/// <summary>Why a request failed; sent over the wire, so values never change meaning.</summary>
public enum ObjectStoreErrorCode : ushort
{
    /// <summary>The request could not be read: a malformed, truncated or oversized frame, or an unknown message.</summary>
    ProtocolError = 1,

    /// <summary>Client and daemon speak different protocol versions.</summary>
    VersionMismatch = 2,

    /// <summary>The store cannot hold the bytes asked for, even after spilling.</summary>
    NotEnoughMemory = 3,

    ObjectNotFound = 4,
    NameNotFound = 5,
    NameTaken = 6,

    /// <summary>The blob is still being written; it can be read once sealed.</summary>
    ObjectNotSealed = 7,

    /// <summary>The blob was created by another connection, or already sealed, so this connection cannot use it.</summary>
    BlobNotOwned = 8,

    InvalidArgument = 9,

    /// <summary>etcd or a peer instance could not be reached.</summary>
    Unavailable = 10,

    Internal = 11,

    /// <summary>The client's user is not one the store serves.</summary>
    PermissionDenied = 12,

    /// <summary>The store has as many clients connected as it serves at once.</summary>
    TooManyClients = 13,
}

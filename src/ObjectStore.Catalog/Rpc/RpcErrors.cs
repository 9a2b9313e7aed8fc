using System.Globalization;
using Fluid.Aspire.ObjectStore.Objects;
using Grpc.Core;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// Object store errors over gRPC: the nearest status code, the message as the detail, and the exact error code in
/// the <c>fluid-error</c> trailer, so that a remote client raises the same exception a local one does.
/// </summary>
public static class RpcErrors
{
    public const string CodeTrailer = "fluid-error";

    public static RpcException ToRpc(ObjectStoreException error)
    {
        var status = error.Code switch
        {
            ObjectStoreErrorCode.ObjectNotFound or ObjectStoreErrorCode.NameNotFound => StatusCode.NotFound,
            ObjectStoreErrorCode.NameTaken => StatusCode.AlreadyExists,
            ObjectStoreErrorCode.NotEnoughMemory => StatusCode.ResourceExhausted,
            ObjectStoreErrorCode.ObjectNotSealed or ObjectStoreErrorCode.BlobNotOwned => StatusCode.FailedPrecondition,
            ObjectStoreErrorCode.InvalidArgument or ObjectStoreErrorCode.ProtocolError or ObjectStoreErrorCode.VersionMismatch => StatusCode.InvalidArgument,
            ObjectStoreErrorCode.Unavailable => StatusCode.Unavailable,
            ObjectStoreErrorCode.PermissionDenied => StatusCode.Unauthenticated,
            _ => StatusCode.Internal,
        };
        return new RpcException(new Status(status, error.Message),
            new Metadata { { CodeTrailer, ((int)error.Code).ToString(CultureInfo.InvariantCulture) } });
    }

    public static ObjectStoreException FromRpc(RpcException error)
    {
        var trailer = error.Trailers.GetValue(CodeTrailer);
        var code = trailer is not null && int.TryParse(trailer, CultureInfo.InvariantCulture, out var value)
            ? (ObjectStoreErrorCode)value
            : error.StatusCode switch
            {
                StatusCode.NotFound => ObjectStoreErrorCode.ObjectNotFound,
                StatusCode.AlreadyExists => ObjectStoreErrorCode.NameTaken,
                StatusCode.ResourceExhausted => ObjectStoreErrorCode.NotEnoughMemory,
                StatusCode.InvalidArgument => ObjectStoreErrorCode.InvalidArgument,
                StatusCode.Unavailable or StatusCode.DeadlineExceeded => ObjectStoreErrorCode.Unavailable,
                StatusCode.Unauthenticated or StatusCode.PermissionDenied => ObjectStoreErrorCode.PermissionDenied,
                _ => ObjectStoreErrorCode.Internal,
            };
        return new ObjectStoreException(code, error.Status.Detail, error);
    }
}

using Fluid.Aspire.ObjectStore.Objects;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Fluid.Aspire.ObjectStore.Rpc;

/// <summary>
/// Refuses every gRPC call that does not carry the cluster's token (<c>authorization: Bearer &lt;token&gt;</c>) with
/// Unauthenticated, before the call reaches the service. Health endpoints are plain HTTP and stay open.
/// </summary>
internal sealed class TokenInterceptor(ObjectStoreToken token, ILogger<TokenInterceptor> logger) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context,
        DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        var presented = context.RequestHeaders.GetValue("authorization");
        if (token.Matches(presented))
        {
            return;
        }

        var problem = presented is null ? "carried no token" : "carried a token that is not this cluster's";
        logger.LogWarning("Refused a call to {Method} from {Peer}: it {Problem}.", context.Method, context.Peer, problem);
        throw RpcErrors.ToRpc(new ObjectStoreException(ObjectStoreErrorCode.PermissionDenied,
            $"This object store serves only callers that present the cluster's token, and the call {problem}. " +
            $"Give the caller the cluster's token file ({ObjectStoreToken.FileSetting}, or the token to RemoteObjectStoreClient)."));
    }
}

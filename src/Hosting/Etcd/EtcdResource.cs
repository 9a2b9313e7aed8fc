using Aspire.Hosting.ApplicationModel;

namespace Fluid.Aspire.Hosting.Etcd;

/// <summary>
/// A single-member etcd server run from the <c>etcd</c> binary, with its data kept on disk across AppHost restarts.
/// </summary>
public sealed class EtcdResource : ExecutableResource, IResourceWithConnectionString
{
    internal const string ClientEndpointName = "client";
    internal const string PeerEndpointName = "peer";

    public EtcdResource(string name, string command, string workingDirectory, string dataDirectory)
        : base(name, command, workingDirectory)
    {
        DataDirectory = dataDirectory;
        ClientEndpoint = new EndpointReference(this, ClientEndpointName);
        PeerEndpoint = new EndpointReference(this, PeerEndpointName);
    }

    /// <summary>Where etcd keeps its write-ahead log and snapshots.</summary>
    public string DataDirectory { get; internal set; }

    /// <summary>When set, the data directory is emptied before the first start of this AppHost run.</summary>
    public bool CleanStart { get; internal set; }

    /// <summary>The client (gRPC and HTTP) endpoint.</summary>
    public EndpointReference ClientEndpoint { get; }

    /// <summary>The peer endpoint; unused by a single member, but etcd must listen on one.</summary>
    public EndpointReference PeerEndpoint { get; }

    /// <summary>The client URL, e.g. <c>http://127.0.0.1:40123</c>.</summary>
    public ReferenceExpression ConnectionStringExpression => Url(ClientEndpoint);

    internal static ReferenceExpression Url(EndpointReference endpoint) =>
        ReferenceExpression.Create(
            $"http://{endpoint.Property(EndpointProperty.IPV4Host)}:{endpoint.Property(EndpointProperty.Port)}");
}

using System.Globalization;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Fluid.Aspire.Hosting.Etcd;

namespace Fluid.Aspire.Hosting.Kubernetes.Mapping;

/// <summary>A setting as it is written for the cluster, and whether it must go into a Secret.</summary>
internal readonly record struct ClusterValue(string Text, bool IsSecret);

/// <summary>
/// Rewrites what the app model references (connection strings, endpoints, parameters) as the cluster sees it:
/// through Service DNS names and the ports the Services expose, never a local address.
/// </summary>
internal sealed class ClusterReferences(IReadOnlyCollection<IResource> published)
{
    public async ValueTask<ClusterValue> ResolveAsync(object? value, IResource owner, string what, CancellationToken cancellationToken) => value switch
    {
        null => new ClusterValue("", false),
        string text => new ClusterValue(text, false),
        FluidResource fluid => new ClusterValue(FluidStackMapping.ConnectionString(fluid), false),
        EtcdResource etcd => new ClusterValue(EtcdMapping.ClientUrl(etcd), false),
        ConnectionStringReference reference => await ResolveAsync(reference.Resource, owner, what, cancellationToken).ConfigureAwait(false),
        EndpointReference endpoint => new ClusterValue(Url(endpoint, owner, what), false),
        EndpointReferenceExpression property => new ClusterValue(Property(property, owner, what), false),
        ParameterResource parameter => Parameter(parameter, owner, what),
        ReferenceExpression expression => await FormatAsync(expression, owner, what, cancellationToken).ConfigureAwait(false),
        IResourceWithConnectionString resource => await ResolveAsync(resource.ConnectionStringExpression, owner, what, cancellationToken).ConfigureAwait(false),
        _ => throw Unmappable(owner, what, $"its value is a {value.GetType().Name}, which has no cluster form",
            "set it to a string, a parameter, an endpoint or a connection string"),
    };

    private async ValueTask<ClusterValue> FormatAsync(ReferenceExpression expression, IResource owner, string what, CancellationToken cancellationToken)
    {
        if (expression.IsConditional)
        {
            throw Unmappable(owner, what, "its value is a conditional expression", "give it one value for the cluster");
        }

        var parts = new object[expression.ValueProviders.Count];
        var secret = false;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = await ResolveAsync(expression.ValueProviders[i], owner, what, cancellationToken).ConfigureAwait(false);
            parts[i] = part.Text;
            secret |= part.IsSecret;
        }

        return new ClusterValue(string.Format(CultureInfo.InvariantCulture, expression.Format, parts), secret);
    }

    private string Url(EndpointReference endpoint, IResource owner, string what) =>
        $"{endpoint.EndpointAnnotation.UriScheme}://{Host(endpoint, owner, what)}:{Port(endpoint)}";

    private string Property(EndpointReferenceExpression property, IResource owner, string what)
    {
        var endpoint = property.Endpoint;
        return property.Property switch
        {
            EndpointProperty.Url => Url(endpoint, owner, what),
            EndpointProperty.Host or EndpointProperty.IPV4Host => Host(endpoint, owner, what),
            EndpointProperty.Port => Port(endpoint).ToString(CultureInfo.InvariantCulture),
            EndpointProperty.TargetPort => (endpoint.EndpointAnnotation.TargetPort ?? Port(endpoint)).ToString(CultureInfo.InvariantCulture),
            EndpointProperty.Scheme => endpoint.EndpointAnnotation.UriScheme,
            EndpointProperty.HostAndPort => $"{Host(endpoint, owner, what)}:{Port(endpoint)}",
            _ => throw Unmappable(owner, what, $"it uses the endpoint property {property.Property}", "use the endpoint's URL, host or port"),
        };
    }

    /// <summary>The Service in front of the endpoint's resource, which a stack's controller is reached through too.</summary>
    private string Host(EndpointReference endpoint, IResource owner, string what)
    {
        var target = endpoint.Resource;
        return published.Contains(target)
            ? target.Name
            : throw Unmappable(owner, what, $"it references an endpoint of '{target.Name}', which is not published to the cluster",
                $"publish '{target.Name}' too, or remove the reference");
    }

    /// <summary>The port of the Service in front of the endpoint, as the resource's own mapping assigns it.</summary>
    private static int Port(EndpointReference endpoint) =>
        endpoint.Resource is ProjectResource project && FluidProjects.IsStackService(project)
            ? WorkloadBuilder.HttpPort
            : ComputeMapping.Ports(endpoint.Resource).Single(p => p.Name == endpoint.EndpointName).Port;

    private static ClusterValue Parameter(ParameterResource parameter, IResource owner, string what)
    {
        if (parameter.Secret)
        {
            return new ClusterValue("", true);
        }

        return parameter.Default is { } value
            ? new ClusterValue(value.GetDefaultValue(), false)
            : throw Unmappable(owner, what, $"it uses the parameter '{parameter.Name}', which has no default value",
                $"give '{parameter.Name}' a default (builder.AddParameter(\"{parameter.Name}\", \"value\")) or set its value in values.yaml's config section after publishing");
    }

    public static DistributedApplicationException Unmappable(IResource resource, string what, string problem, string fix) =>
        new($"Cannot publish '{resource.Name}' to Kubernetes: {what} cannot be written for the cluster, because {problem}; {fix}.");
}

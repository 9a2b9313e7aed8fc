namespace Fluid.Aspire.Cluster.Etcd;

/// <summary>
/// How to reach a Fluid stack: its etcd endpoints and the key prefix under which the object stores keep their
/// metadata, the kubeconfig of its Kubernetes API (where the resources are), and the controller's URL when known.
/// </summary>
/// <remarks>
/// Two forms are accepted, so that both Aspire's plain etcd reference and the Fluid reference work:
/// <c>http://127.0.0.1:2379[,http://…]</c>, or <c>Endpoints=http://…[,http://…];Prefix=/fluid;Kubeconfig=/path;Controller=http://…</c>.
/// </remarks>
public sealed record ClusterConnectionString
{
    /// <summary>The key prefix used when the connection string names none.</summary>
    public const string DefaultPrefix = "/fluid";

    public ClusterConnectionString(IReadOnlyList<Uri> endpoints, string prefix = DefaultPrefix, Uri? controller = null, string? kubeconfig = null)
    {
        if (endpoints.Count == 0)
        {
            throw new ArgumentException("At least one etcd endpoint is required.", nameof(endpoints));
        }

        Endpoints = endpoints;
        Prefix = NormalizePrefix(prefix);
        Controller = controller;
        Kubeconfig = string.IsNullOrWhiteSpace(kubeconfig) ? null : kubeconfig;
    }

    /// <summary>The etcd client URLs, tried in order.</summary>
    public IReadOnlyList<Uri> Endpoints { get; }

    /// <summary>The key prefix, starting with '/' and without a trailing '/'.</summary>
    public string Prefix { get; }

    /// <summary>The controller's HTTP API, when the connection string names it.</summary>
    public Uri? Controller { get; }

    /// <summary>
    /// The kubeconfig of the stack's Kubernetes API, when the connection string names it (the AppHost's does: its
    /// local API server writes that file); otherwise the API is found as kubectl finds it.
    /// </summary>
    public string? Kubeconfig { get; }

    public static ClusterConnectionString Parse(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new FormatException(
                "The connection string is empty. Run the service through the AppHost, which injects it, " +
                "or set ConnectionStrings__fluid=http://127.0.0.1:2379.");
        }

        if (!value.Contains('='))
        {
            return new ClusterConnectionString(ParseEndpoints(value));
        }

        string? endpoints = null;
        Uri? controller = null;
        string? kubeconfig = null;
        var prefix = DefaultPrefix;
        foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var separator = part.IndexOf('=', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new FormatException($"'{part}' in the connection string is not of the form Key=Value.");
            }

            var key = part[..separator].Trim();
            var setting = part[(separator + 1)..].Trim();
            if (key.Equals("Endpoints", StringComparison.OrdinalIgnoreCase) || key.Equals("Endpoint", StringComparison.OrdinalIgnoreCase))
            {
                endpoints = setting;
            }
            else if (key.Equals("Prefix", StringComparison.OrdinalIgnoreCase))
            {
                prefix = setting;
            }
            else if (key.Equals("Controller", StringComparison.OrdinalIgnoreCase))
            {
                controller = ParseUrl(setting, "a controller URL such as http://127.0.0.1:5080");
            }
            else if (key.Equals("Kubeconfig", StringComparison.OrdinalIgnoreCase))
            {
                kubeconfig = setting;
            }
            else
            {
                throw new FormatException(
                    $"Unknown key '{key}' in the connection string; the keys are Endpoints, Prefix, Kubeconfig and Controller.");
            }
        }

        if (endpoints is null)
        {
            throw new FormatException("The connection string has no Endpoints=… part.");
        }

        return new ClusterConnectionString(ParseEndpoints(endpoints), prefix, controller, kubeconfig);
    }

    public override string ToString() =>
        $"Endpoints={string.Join(',', Endpoints.Select(e => e.GetLeftPart(UriPartial.Authority)))};Prefix={Prefix}" +
        (Kubeconfig is null ? "" : $";Kubeconfig={Kubeconfig}") +
        (Controller is null ? "" : $";Controller={Controller.GetLeftPart(UriPartial.Authority)}");

    private static Uri[] ParseEndpoints(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => ParseUrl(e, "an etcd endpoint such as http://127.0.0.1:2379"))
            .ToArray();

    private static Uri ParseUrl(string value, string expected)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"'{value}' is not a valid URL; expected {expected}.");
        }

        return uri;
    }

    private static string NormalizePrefix(string prefix)
    {
        var trimmed = prefix.Trim().TrimEnd('/');
        if (trimmed.Length == 0 || trimmed[0] != '/')
        {
            throw new FormatException($"The etcd key prefix '{prefix}' must start with '/', for example /fluid.");
        }

        return trimmed;
    }
}

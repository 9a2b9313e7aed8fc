namespace Fluid.Aspire.CacheAgent.Client;

/// <summary>The paths of the agent's API, for the agent that maps them and the clients that call them.</summary>
public static class CacheAgentRoutes
{
    /// <summary>Every runtime the agent serves, with its worker status.</summary>
    public const string Runtimes = "/cache/v1/runtimes";

    /// <summary>One runtime: PUT assigns it, GET reports its worker status, DELETE releases it.</summary>
    public const string Runtime = Runtimes + "/{namespace}/{name}";

    /// <summary>The runtime's dataset's files.</summary>
    public const string Files = Runtime + "/files";

    /// <summary>One file's bytes (<c>?path=</c>), with Range requests.</summary>
    public const string Content = Runtime + "/content";

    /// <summary>The path of one runtime's resource.</summary>
    public static string Of(string template, string namespaceName, string name) =>
        template.Replace("{namespace}", Uri.EscapeDataString(namespaceName), StringComparison.Ordinal)
            .Replace("{name}", Uri.EscapeDataString(name), StringComparison.Ordinal);
}

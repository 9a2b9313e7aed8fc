namespace Fluid.Aspire.ApiServer;

/// <summary>Settings of the local API server (section <c>Fluid:ApiServer</c>).</summary>
public sealed class ApiServerOptions
{
    public const string SectionName = "Fluid:ApiServer";

    /// <summary>The bearer token every request but <c>/version</c> and the health probes must carry.</summary>
    public string Token { get; set; } = "";

    /// <summary>Where to write a kubeconfig for this server (mode 0600), rewritten whenever the server starts; none when empty.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>
    /// Where to publish that kubeconfig too while the server runs, removed when it stops: the file where the CLI and
    /// the SDK look for a running local stack (<c>~/.fluid/stack/kubeconfig</c>), which the AppHost sets for the
    /// stack on its default state directory. None when empty.
    /// </summary>
    public string? LocalStackKubeconfig { get; set; }

    /// <summary>
    /// Where the server keeps its certificate authority and serving certificate, so that a restart keeps kubeconfigs
    /// valid; when empty, new ones are made at every start and kept in memory.
    /// </summary>
    public string? CertificateDirectory { get; set; }

    /// <summary>The name of the cluster, context and user in that kubeconfig.</summary>
    public string ContextName { get; set; } = "fluid-local";

    /// <summary>How often a watch that allows bookmarks gets one.</summary>
    public TimeSpan BookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an Event is kept after it was last written (recorded or repeated), as kube-apiserver's <c>--event-ttl</c>.</summary>
    public TimeSpan EventTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every problem with these settings, each with how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (Token.Length < 16)
        {
            yield return $"{SectionName}:Token must be set to a secret of at least 16 characters (the AppHost generates one; set Fluid__ApiServer__Token when running the server alone).";
        }

        if (BookmarkInterval < TimeSpan.FromMilliseconds(100))
        {
            yield return $"{SectionName}:BookmarkInterval must be at least 00:00:00.1 (it is {BookmarkInterval}).";
        }

        if (EventTtl < TimeSpan.FromSeconds(1) || EventTtl > TimeSpan.FromDays(365))
        {
            yield return $"{SectionName}:EventTtl must be from 00:00:01 to 365.00:00:00, for example 01:00:00 (it is {EventTtl}).";
        }
    }
}

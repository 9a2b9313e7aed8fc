using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Fluid service shares: OpenTelemetry to the Aspire dashboard (or any OTLP collector), health endpoints,
/// service discovery and resilient HTTP clients.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The liveness endpoint: the process is up. Kubernetes restarts a pod that fails it.</summary>
    public const string AlivePath = "/alive";

    /// <summary>The readiness endpoint: the process and everything it needs (etcd, registration) work.</summary>
    public const string HealthPath = "/health";

    private const string LiveTag = "live";

    /// <summary>
    /// The framework's own logs at Warning, as ASP.NET Core's templates set them, so that each service's own lines
    /// stand out: at Information, Kestrel and the HTTP client write four lines per request. Health checks not at all:
    /// probes run every few seconds, the dashboard shows each resource's health, and the components log their own
    /// state changes (a failing check would otherwise log an error on every probe, and on every start).
    /// </summary>
    private static readonly Dictionary<string, LogLevel> QuietFrameworkLogs = new(StringComparer.Ordinal)
    {
        ["Microsoft.AspNetCore"] = LogLevel.Warning,
        ["System.Net.Http.HttpClient"] = LogLevel.Warning,
        // The resilience handler logs every attempt at Information, an answer such as a 404 included.
        ["Polly"] = LogLevel.Warning,
        ["Microsoft.Extensions.Diagnostics.HealthChecks"] = LogLevel.None,
    };

    /// <summary>The prefix of the activity sources and meters of Fluid's own code.</summary>
    private const string FluidTelemetryPrefix = "Fluid.Aspire.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        foreach (var (category, level) in QuietFrameworkLogs)
        {
            // Only where the configuration (appsettings, environment, command line) says nothing, so that it still decides.
            if (builder.Configuration[$"Logging:LogLevel:{category}"] is null)
            {
                builder.Logging.AddFilter(category, level);
            }
        }

        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check) and <c>/alive</c> (liveness only) in every environment, because Kubernetes
    /// probes use them in production.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthPath);
        app.MapHealthChecks(AlivePath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(LiveTag) });
        return app;
    }

    private static void ConfigureOpenTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(FluidTelemetryPrefix));
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Spans nobody exports would still be made, filled and dropped on every request: 500 bytes of garbage for
            // each of the object store's small requests, which answer in about a microsecond otherwise.
            return;
        }

        telemetry
            .WithTracing(tracing => tracing
                .SetSampler(new ParentBasedSampler(new OperationRootSampler()))
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(FluidTelemetryPrefix)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !PeriodicRequests.Match(context.Request))
                .AddHttpClientInstrumentation(options => options.FilterHttpRequestMessage = request =>
                    request.RequestUri is not { } uri || !PeriodicRequests.Match(uri.AbsolutePath, uri.Query)))
            .UseOtlpExporter();
    }
}

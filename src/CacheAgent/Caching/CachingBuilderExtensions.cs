using Fluid.Aspire.Cluster.Configuration;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.CacheAgent.Caching;

public static class CachingBuilderExtensions
{
    /// <summary>Makes this agent a cache worker: the runtimes the controller assigns it, served from tiers on this node.</summary>
    public static IHostApplicationBuilder AddCaching(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CacheAgentOptions>().Bind(builder.Configuration.GetSection(CacheAgentOptions.SectionName)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CacheAgentOptions>>(new ProblemsValidator<CacheAgentOptions>(o => o.Validate()));
        builder.Services.AddSingleton<CacheRuntimes>();
        return builder;
    }
}

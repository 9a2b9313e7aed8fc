using Fluid.Aspire.Cluster.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Execution;

public static class ExecutionBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="LocalProcessExecutor"/> as the <see cref="IStepExecutor"/>, with its options from
    /// <c>Fluid:Executor</c>, checked at start.
    /// </summary>
    public static IHostApplicationBuilder AddLocalStepExecutor(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LocalExecutorOptions>()
            .Bind(builder.Configuration.GetSection(LocalExecutorOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LocalExecutorOptions>>(new ProblemsValidator<LocalExecutorOptions>(o => o.Validate()));
        builder.Services.AddSingleton<LocalProcessExecutor>();
        builder.Services.AddSingleton<IStepExecutor>(sp => sp.GetRequiredService<LocalProcessExecutor>());
        return builder;
    }
}

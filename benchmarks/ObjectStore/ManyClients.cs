using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Ipc;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>
/// 1,024 connections on one daemon, as on a node running many step processes: 16 doing small put+get pairs and the
/// rest idle, against the same 16 with no idle ones, alternated in one run.
/// </summary>
internal static class ManyClients
{
    private const int Connections = 1024;
    private const int Active = 16;
    private const int Rounds = 5;
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(2);

    public static async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        await using var daemon = await BenchDaemon.StartAsync("512Mi", [], cancellationToken);
        var clients = new List<ObjectStoreClient>();
        try
        {
            for (var i = 0; i < Active; i++)
            {
                clients.Add(await daemon.ConnectAsync(cancellationToken));
            }

            var payload = new byte[1024];
            new Random(3).NextBytes(payload);
            await PairsPerSecondAsync(clients, payload, TimeSpan.FromSeconds(3), cancellationToken);

            var alone = new List<double>();
            var crowded = new List<double>();
            var ratios = new List<double>();
            int threads = 0;
            double rssMib = 0;
            for (var round = 0; round < Rounds; round++)
            {
                var rateAlone = await PairsPerSecondAsync(clients, payload, Phase, cancellationToken);
                var idle = await OpenIdleAsync(daemon.SocketPath, Connections - Active, cancellationToken);
                try
                {
                    var rateCrowded = await PairsPerSecondAsync(clients, payload, Phase, cancellationToken);
                    (threads, rssMib) = (Math.Max(threads, Threads(daemon.Process.Id)), Math.Max(rssMib, PrivateResidentMib(daemon.Process.Id)));
                    alone.Add(rateAlone);
                    crowded.Add(rateCrowded);
                    ratios.Add(rateCrowded / rateAlone);
                }
                finally
                {
                    foreach (var socket in idle)
                    {
                        socket.Dispose();
                    }
                }
            }

            var ratio = Measure.Median(ratios);
            var rate = Measure.Median(crowded);
            var rateAloneMedian = Measure.Median(alone);
            report.Field("many_clients", new Dictionary<string, object>
            {
                ["connections"] = Connections,
                ["pairs_per_s"] = Math.Round(rate, 1),
                ["pairs_per_s_16_alone"] = Math.Round(rateAloneMedian, 1),
                ["ratio_by_round"] = ratios.Select(r => Math.Round(r, 3)).ToArray(),
                ["daemon_threads"] = threads,
                ["rss_mib"] = Math.Round(rssMib, 1),
            });
            report.Compare($"put+get pairs of 1 KiB on {Active} connections among {Connections} (the rest idle; medians of {Rounds} rounds of {Phase.TotalSeconds:0} s)", rate, "/s",
                $"the same {Active} connections alone, alternated with it", rateAloneMedian, ratio, ">= 0.8", ratio >= 0.8);
            report.Compare($"daemon threads with {Connections} clients connected", threads, "", "bound", 64, threads / 64.0, "<= 64", threads <= 64);
            Measure.Progress($"{Connections} connections: {rate:0} pairs/s, {Active} alone {rateAloneMedian:0}/s (rounds: " +
                $"{string.Join(' ', ratios.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))}; median {ratio:0.00}x); {threads} threads, {rssMib:0} MiB private");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>How many pairs the clients complete together in <paramref name="duration"/>, each looping on its own.</summary>
    private static async Task<double> PairsPerSecondAsync(List<ObjectStoreClient> clients, byte[] payload, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var counts = await Task.WhenAll(clients.Select(client => Task.Run(async () =>
        {
            var count = 0;
            while (clock.Elapsed < duration)
            {
                var id = await client.PutAsync(payload, cancellationToken: cancellationToken);
                using var handle = await client.GetAsync(id, cancellationToken: cancellationToken);
                count++;
            }

            return count;
        }, cancellationToken)));
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Connections that shook hands and then wait, as a step process between its requests does.</summary>
    private static async Task<List<Socket>> OpenIdleAsync(string socketPath, int count, CancellationToken cancellationToken)
    {
        var hello = new FrameWriter();
        new HelloRequest(Wire.Magic, Wire.ProtocolVersion, "idle", Environment.ProcessId).Write(hello);
        var frame = hello.End().ToArray();
        var sockets = new List<Socket>();
        var welcome = new byte[64 * 1024];
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            sockets.Add(socket);
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
            await socket.SendAsync(frame, SocketFlags.None, cancellationToken);

            // A plain receive: the arenas' descriptors on the Welcome are closed by the kernel, not kept.
            if (await socket.ReceiveAsync(welcome, SocketFlags.None, cancellationToken) == 0)
            {
                throw new InvalidOperationException($"The daemon closed idle connection {i + 1} instead of welcoming it.");
            }
        }

        return sockets;
    }

    private static int Threads(int processId) => (int)StatusField(processId, "Threads:");

    /// <summary>The daemon's own resident memory: all of it but the shared memory of its arenas.</summary>
    private static double PrivateResidentMib(int processId) =>
        (StatusField(processId, "VmRSS:") - StatusField(processId, "RssShmem:")) / 1024.0;

    private static long StatusField(int processId, string field) => long.Parse(
        File.ReadLines($"/proc/{processId}/status").Single(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim().Split(' ')[0],
        CultureInfo.InvariantCulture);
}

using System.Net;
using System.Net.Sockets;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.Benchmarks.ObjectStore;

/// <summary>
/// Fetch of a 1 GiB object from another instance over loopback, through the bulk channel and through the gRPC
/// fallback, against a plain TCP copy of the same size in the same run.
/// </summary>
internal static class Fetch
{
    private const int Size = 1 << 30;
    private const int Repetitions = 3;

    public static async Task RunAsync(Report report, CancellationToken cancellationToken)
    {
        if (EtcdServer.FindBinary() is null)
        {
            Measure.Progress("etcd is not installed (./test.sh installs it): skipping the fetch benchmark.");
            report.Field("fetch_skipped", "etcd not installed");
            return;
        }

        await using var etcd = await EtcdServer.StartAsync(cancellationToken);
        string[] cluster = ["--etcd", etcd.ClientUrl.ToString(), "--reserve-memory"];
        await using var owner = await BenchDaemon.StartAsync("1088Mi", [.. cluster, "--node", "owner"], cancellationToken);
        await using var bulk = await BenchDaemon.StartAsync("1088Mi", [.. cluster, "--node", "bulk", "--peer-channel", "Bulk"], cancellationToken);
        await using var grpc = await BenchDaemon.StartAsync("1088Mi", [.. cluster, "--node", "grpc", "--peer-channel", "Grpc"], cancellationToken);
        await using var producer = await owner.ConnectAsync(cancellationToken);
        await using var bulkConsumer = await bulk.ConnectAsync(cancellationToken);
        await using var grpcConsumer = await grpc.ConnectAsync(cancellationToken);

        // Rounds alternate the baseline and both channels, so that a noisy moment of the machine weighs on all three.
        var tcp = new List<double>();
        var bulkSeconds = new List<double>();
        var grpcSeconds = new List<double>();
        var source = new byte[64 << 20];
        var destination = new byte[Size];
        destination.AsSpan().Fill(1);
        // One untimed fetch per channel first: a daemon's first fetch also compiles and pages in the code of the path.
        await FetchAsync(producer, bulkConsumer, "fetch-bulk-warm-up", cancellationToken);
        await FetchAsync(producer, grpcConsumer, "fetch-grpc-warm-up", cancellationToken);
        for (var round = 0; round < Repetitions; round++)
        {
            tcp.Add(await LoopbackCopyAsync(source, destination, cancellationToken));
            bulkSeconds.Add(await FetchAsync(producer, bulkConsumer, $"fetch-bulk-{round}", cancellationToken));
            grpcSeconds.Add(await FetchAsync(producer, grpcConsumer, $"fetch-grpc-{round}", cancellationToken));
        }

        var tcpGbps = Size / Measure.Median(tcp) / Measure.GB;
        var bulkGbps = Size / Measure.Median(bulkSeconds) / Measure.GB;
        var grpcGbps = Size / Measure.Median(grpcSeconds) / Measure.GB;
        report.Field("fetch_gbps_1GiB", bulkGbps);
        report.Field("fetch_grpc_gbps_1GiB", grpcGbps);
        report.Field("loopback_tcp_gbps", tcpGbps);
        report.Field("fetch_rounds_s", new { tcp = Rounded(tcp), bulk = Rounded(bulkSeconds), grpc = Rounded(grpcSeconds) });
        report.Compare("fetch of a 1 GiB object from another instance, bulk channel", bulkGbps, "GB/s", "plain TCP copy of 1 GiB over loopback",
            tcpGbps, bulkGbps / tcpGbps, ">= 0.70", bulkGbps / tcpGbps >= 0.7);
        report.Compare("fetch of a 1 GiB object from another instance, gRPC fallback", grpcGbps, "GB/s", "plain TCP copy of 1 GiB over loopback",
            tcpGbps, grpcGbps / tcpGbps, "reported", true);
        Measure.Progress($"fetch bulk {bulkGbps:0.00} GB/s, grpc {grpcGbps:0.00} GB/s, loopback TCP {tcpGbps:0.00} GB/s");
    }

    /// <summary>Puts a fresh 1 GiB persisted object on the owner and times its fetch by <paramref name="consumer"/>; deletes it after.</summary>
    private static async Task<double> FetchAsync(ObjectStoreClient producer, ObjectStoreClient consumer, string name, CancellationToken cancellationToken)
    {
        using (var writer = await producer.CreateBlobAsync(Size, cancellationToken))
        {
            writer.Slice(0, 1 << 20).Fill(1);
            await writer.SealAsync(new PutOptions { Name = name, Persist = true }, cancellationToken: cancellationToken);
        }

        // Wait until the consumer's instance has seen the object in etcd, so that only the copy is timed.
        while ((await consumer.ListAsync(name, cancellationToken: cancellationToken)).Objects.Count == 0)
        {
            await Task.Delay(20, cancellationToken);
        }

        Measure.SettleGarbage();
        var seconds = await Measure.SecondsAsync(async () =>
        {
            using var copy = await consumer.GetAsync(name, new GetOptions { Fetch = true }, cancellationToken);
        });
        await consumer.DeleteAsync(name, cancellationToken);
        while ((await consumer.GetStatsAsync(cancellationToken)).Used > 0 || (await producer.GetStatsAsync(cancellationToken)).Used > 0)
        {
            await Task.Delay(20, cancellationToken);
        }

        return seconds;
    }

    /// <summary>1 GiB from one socket to another over loopback, with the same socket buffers as the bulk channel.</summary>
    private static async Task<double> LoopbackCopyAsync(byte[] source, byte[] destination, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Tune(sender);
        await sender.ConnectAsync(listener.LocalEndPoint!, cancellationToken);
        using var receiver = await listener.AcceptAsync(cancellationToken);
        Tune(receiver);
        Measure.SettleGarbage();
        return await Measure.SecondsAsync(async () =>
        {
            var send = Task.Run(async () =>
            {
                for (var sent = 0; sent < Size; sent += source.Length)
                {
                    await sender.SendAsync(source, SocketFlags.None, cancellationToken);
                }
            }, cancellationToken);
            for (var received = 0; received < Size;)
            {
                received += await receiver.ReceiveAsync(destination.AsMemory(received, Math.Min(64 << 20, Size - received)), SocketFlags.None, cancellationToken);
            }

            await send;
        });
    }

    private static double[] Rounded(List<double> seconds) => seconds.Select(s => Math.Round(s, 3)).ToArray();

    private static void Tune(Socket socket)
    {
        socket.NoDelay = true;
        socket.SendBufferSize = 4 << 20;
        socket.ReceiveBufferSize = 4 << 20;
    }
}

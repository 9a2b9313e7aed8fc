using System.Net;
using Fluid.Aspire.CacheAgent.Client;
using Fluid.Aspire.Cluster.Membership;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;
using Fluid.Aspire.TestSupport;
using Fluid.Aspire.TestSupport.StorageServers;
using Fluid.Sdk;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.ControlPlane.Tests;

/// <summary>
/// A CacheRuntime on a real cluster of two nodes, over a dataset served by a real nginx: the controller places the
/// worker and assigns it to that node's cache agent, which lists the mount and reads its files through its block
/// cache; the runtime's and the dataset's status show the agent's numbers.
/// </summary>
public sealed class CacheRuntimeTests
{
    private const int MiB = 1024 * 1024;

    private static readonly HttpClient Http = new();

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_cache_runtime_serves_its_datasets_files_from_one_node_and_the_status_shows_size_cache_and_hits()
    {
        await using var nginx = await NginxServer.StartAsync(Cancellation);
        var large = nginx.WriteFile("sales/2024/jan.csv", 5 * MiB);
        nginx.WriteFile("sales/feb.csv", 100 * 1024, seed: 2);
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        await client.Store.CreateAsync(new Dataset
        {
            Metadata = new V1ObjectMeta { Name = "sales" },
            Spec = new DatasetSpec { Mounts = [new Mount { MountPoint = new Uri(nginx.BaseUrl, "data/sales/").ToString() }] },
        }, Cancellation);
        await client.Store.CreateAsync(new CacheRuntime
        {
            Metadata = new V1ObjectMeta { Name = "sales" },
            Spec = new CacheRuntimeSpec { Replicas = 1, TieredStore = new TieredStore { Levels = [new TieredStoreLevel { MediumType = MediumType.Memory, Quota = "64Mi" }] } },
        }, Cancellation);

        Dataset dataset;
        try
        {
            dataset = await Eventually.ResourceAsync<Dataset>(client.Store, "sales", d => d.Status.Phase == DatasetPhase.Bound && d.Status.FileNum == 2,
                "the dataset Bound, with its two files listed", Cancellation);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\nController:\n{ChildProcess.Tail(cluster.Controller.Output, 30)}\nAgents:\n{string.Join("\n", cluster.CacheAgents.Select(a => ChildProcess.Tail(a.Output, 30)))}", e);
        }
        Assert.Equal(Quantity.FormatBytes(5 * MiB + 100 * 1024), dataset.Status.UfsTotal);
        Assert.Equal("64MiB", dataset.Status.CacheStates!.CacheCapacity);
        Assert.Equal("cache", Assert.Single(dataset.Status.Runtimes).Type);
        var runtime = (await client.Store.GetAsync<CacheRuntime>("sales", cancellationToken: Cancellation))!;
        var worker = Assert.Single(runtime.Status.Workers);
        var (agent, other) = await AgentsAsync(cluster, worker.Node);
        Assert.Null(await other.GetStatusAsync("default", "sales", Cancellation));

        var listing = await agent.ListFilesAsync("default", "sales", Cancellation);
        Assert.Equal(["/2024/jan.csv", "/feb.csv"], listing.Files.Select(f => f.Path));
        Assert.Equal(large, await ReadAllAsync(agent, "/2024/jan.csv", 0));
        var requests = await nginx.CountRequestsAsync("/data/sales/2024/jan.csv", Cancellation);
        Assert.Equal(large[(4 * MiB)..], await ReadAllAsync(agent, "/2024/jan.csv", 4 * MiB));
        Assert.Equal(requests, await nginx.CountRequestsAsync("/data/sales/2024/jan.csv", Cancellation));

        // Read 5 MiB cold and the last block (1 MiB) warm: the mount sent 5 MiB of the 6 MiB read.
        const long read = 6 * MiB;
        runtime = await Eventually.ResourceAsync<CacheRuntime>(client.Store, "sales", r => r.Status.BytesRead == read,
            "the runtime counting the bytes read", Cancellation);
        Assert.Equal(5 * MiB, runtime.Status.BytesFetched);
        Assert.Equal(5 * MiB, runtime.Status.Cached);
        dataset = await Eventually.ResourceAsync<Dataset>(client.Store, "sales", d => d.Status.CacheStates?.Cached == "5MiB",
            "the dataset showing what is cached", Cancellation);
        Assert.Equal(CacheStates.FormatPercentage(5 * MiB, 5 * MiB + 100 * 1024), dataset.Status.CacheStates!.CachedPercentage);
        Assert.Equal(CacheStates.FormatPercentage(read - (5 * MiB), read), dataset.Status.CacheStates.CacheHitRatio);

        await ReadAsAStepAsync(cluster, worker.Node, large);

        // A step on the dataset goes where its blocks are cached, and says so.
        var run = await (await client.GetDatasetAsync("sales", Cancellation)).Process(Processor.FromCommand("true")).RunAsync("near", Cancellation);
        var step = Assert.Single(await run.WaitAsync(TimeSpan.FromMinutes(2), Cancellation));
        Assert.Equal(worker.Node, step.Node);
        var placed = (await client.Store.GetAsync<DataProcess>(step.Name, cancellationToken: Cancellation))!;
        Assert.Contains($"dataset sales cached on {worker.Node}", string.Join(" ", placed.Status.Scheduling!.Scores.SelectMany(s => s.Reasons)), StringComparison.Ordinal);

        await client.Store.DeleteAsync<CacheRuntime>("sales", cancellationToken: Cancellation);
        await Eventually.ReturnsAsync<CacheWorkerStatus?>(() => agent.GetStatusAsync("default", "sales", Cancellation), status => status is null, TimeSpan.FromSeconds(30),
            "the agent releasing the deleted runtime", Cancellation);
        await Eventually.ResourceAsync<Dataset>(client.Store, "sales", d => d.Status.Phase == DatasetPhase.NotBound, "the dataset no longer bound", Cancellation);
    }

    [Fact]
    public async Task An_s3_mount_reads_its_credentials_from_the_secret_its_encrypt_options_name_and_says_what_is_missing()
    {
        await using var s3 = await S3Server.StartAsync("sales", Cancellation);
        var bytes = System.Text.Encoding.UTF8.GetBytes("region,amount\nnorth,10\n");
        await s3.PutObjectAsync("raw/jan.csv", bytes, Cancellation);
        await using var cluster = await LocalCluster.StartAsync(1, Cancellation);
        await using var client = Flows.Client(cluster);
        using var kubernetes = cluster.ApiServer.CreateKubernetes();
        EncryptOption Option(string name, string key) => new() { Name = name, ValueFrom = new() { SecretKeyRef = new() { Name = "s3", Key = key } } };
        await client.Store.CreateAsync(new Dataset
        {
            Metadata = new V1ObjectMeta { Name = "sales" },
            Spec = new DatasetSpec
            {
                Mounts =
                [
                    new Mount
                    {
                        MountPoint = "s3://sales/raw/",
                        Options = new() { ["endpoint"] = s3.Endpoint.AbsoluteUri, ["pathStyle"] = "true" },
                        EncryptOptions = [Option("aws.accessKeyId", "keyId"), Option("aws.secretKey", "secretKey")],
                    },
                ],
            },
        }, Cancellation);
        await client.Store.CreateAsync(new CacheRuntime { Metadata = new V1ObjectMeta { Name = "sales" } }, Cancellation);

        var runtime = await Eventually.ResourceAsync<CacheRuntime>(client.Store, "sales", r => r.Status.Conditions.Any(c => c.Reason == "SecretsUnreadable"),
            "the runtime saying its secret is missing", Cancellation);
        Assert.Contains("Secret default/s3, which the encrypt option aws.accessKeyId names, does not exist", runtime.Status.Conditions.Single().Message, StringComparison.Ordinal);
        await kubernetes.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "s3" }, StringData = new Dictionary<string, string> { ["keyId"] = S3Server.AccessKeyId } },
            "default", cancellationToken: Cancellation);
        runtime = await Eventually.ResourceAsync<CacheRuntime>(client.Store, "sales", r => r.Status.Conditions.SingleOrDefault()?.Message?.Contains("has no key secretKey", StringComparison.Ordinal) == true,
            "the runtime naming the missing key", Cancellation);
        Assert.Contains("its keys are keyId", runtime.Status.Conditions.Single().Message, StringComparison.Ordinal);

        var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync("s3", "default", cancellationToken: Cancellation);
        secret.StringData = new Dictionary<string, string> { ["secretKey"] = S3Server.SecretKey };
        await kubernetes.CoreV1.ReplaceNamespacedSecretAsync(secret, "s3", "default", cancellationToken: Cancellation);
        await Eventually.ResourceAsync<Dataset>(client.Store, "sales", d => d.Status.Phase == DatasetPhase.Bound && d.Status.FileNum == 1,
            "the dataset Bound, with its file listed", Cancellation);
        await using var step = new StepContext("reader", objectStoreSocket: null, datasetName: "sales", cacheAgentSocket: cluster.CacheAgentSocketOf("node-0"),
            cancellationToken: Cancellation);
        var files = await step.OpenDatasetAsync(cancellationToken: Cancellation);
        await using var stream = await files.OpenReadAsync("/jan.csv", Cancellation);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancellation);
        Assert.Equal(bytes, copy.ToArray());
        runtime = (await client.Store.GetAsync<CacheRuntime>("sales", cancellationToken: Cancellation))!;
        Assert.DoesNotContain(S3Server.SecretKey, System.Text.Json.JsonSerializer.Serialize(runtime.Status, ResourceJson.Options), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dataset_has_one_runtime_the_one_created_first_and_the_other_says_so()
    {
        await using var cluster = await LocalCluster.StartAsync(2, Cancellation);
        await using var client = Flows.Client(cluster);
        using var data = new TemporaryDirectory();
        await Flows.BoundDatasetAsync(client, "housing", data, Cancellation);

        await client.Store.CreateAsync(new CacheRuntime { Metadata = new V1ObjectMeta { Name = "housing" } }, Cancellation);

        var runtime = await Eventually.ResourceAsync<CacheRuntime>(client.Store, "housing", r => r.Status.Conditions.Any(c => c.Reason == "DatasetBoundElsewhere"),
            "the second runtime refusing to serve", Cancellation);
        Assert.Contains("is bound to ObjectStoreRuntime housing, created first", runtime.Status.Conditions.Single().Message, StringComparison.Ordinal);
        Assert.Equal(RuntimePhase.NotReady, runtime.Status.Phase);
        var dataset = (await client.Store.GetAsync<Dataset>("housing", cancellationToken: Cancellation))!;
        Assert.Equal(DatasetPhase.Bound, dataset.Status.Phase);
        Assert.Equal("objectstore", Assert.Single(dataset.Status.Runtimes).Type);
    }

    /// <summary>
    /// A step reads the dataset through its node's agent socket, as FLUID_CACHE_SOCKET gives it: no token, reads only. A
    /// step on a node whose agent does not cache the dataset is told what to do.
    /// </summary>
    private static async Task ReadAsAStepAsync(LocalCluster cluster, string node, byte[] large)
    {
        await using (var step = new StepContext("reader", objectStoreSocket: null, datasetName: "sales", cacheAgentSocket: cluster.CacheAgentSocketOf(node),
            cancellationToken: Cancellation))
        {
            var files = await step.OpenDatasetAsync(cancellationToken: Cancellation);
            Assert.Equal([("/2024/jan.csv", 5L * MiB)], (await files.EnumerateFilesAsync("/2024", Cancellation)).Select(f => (f.Path, f.Length)));
            await using var stream = await files.OpenReadAsync("2024/jan.csv", Cancellation);
            Assert.Equal(5 * MiB, stream.Length);
            stream.Position = 3 * MiB + 7;
            var range = new byte[100];
            await stream.ReadExactlyAsync(range, Cancellation);
            Assert.Equal(large[(3 * MiB + 7)..(3 * MiB + 107)], range);
            stream.Position = 0;
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Cancellation);
            Assert.Equal(large, copy.ToArray());
            var missing = await Assert.ThrowsAsync<FileNotFoundException>(() => files.OpenReadAsync("/nope.csv", Cancellation));
            Assert.Contains("/2024/jan.csv", missing.Message, StringComparison.Ordinal);
        }

        var other = node == "node-0" ? "node-1" : "node-0";
        await using (var elsewhere = new StepContext("reader", objectStoreSocket: null, datasetName: "sales", cacheAgentSocket: cluster.CacheAgentSocketOf(other),
            cancellationToken: Cancellation))
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => elsewhere.OpenDatasetAsync(cancellationToken: Cancellation));
            Assert.Contains("the node's cache agent does not cache it", error.Message, StringComparison.Ordinal);
            Assert.Contains("Bind a CacheRuntime named sales", error.Message, StringComparison.Ordinal);
        }

        using var socket = CacheAgentSocket.CreateHttpClient(cluster.CacheAgentSocketOf(node));
        var refused = await Assert.ThrowsAsync<CacheAgentException>(() =>
            new CacheAgentClient(socket, CacheAgentSocket.Address, token: null).ReleaseAsync("default", "sales", evict: true, Cancellation));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
    }

    /// <summary>The cache agent of <paramref name="node"/> and of another node, found as the controller finds them.</summary>
    private static async Task<(CacheAgentClient Agent, CacheAgentClient Other)> AgentsAsync(LocalCluster cluster, string node)
    {
        using var kubernetes = cluster.ApiServer.CreateKubernetes();
        var nodes = await ClusterNode.ReadAsync(kubernetes, Resource.DefaultNamespace, DateTimeOffset.UtcNow, cancellationToken: Cancellation);
        CacheAgentClient ClientOf(ClusterNode n)
        {
            var endpoints = n.Members.Single(m => m.Component == NodeComponents.CacheAgent).Endpoints;
            Assert.Equal(cluster.CacheAgentSocketOf(n.Name), endpoints[NodeMember.UnixEndpoint]);
            return new(Http, new Uri(endpoints["http"]), token: null);
        }

        return (ClientOf(nodes.Single(n => n.Name == node)), ClientOf(nodes.First(n => n.Name != node)));
    }

    private static async Task<byte[]> ReadAllAsync(CacheAgentClient agent, string path, long offset)
    {
        await using var stream = await agent.OpenReadAsync("default", "sales", path, offset, Cancellation);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Cancellation);
        return copy.ToArray();
    }
}

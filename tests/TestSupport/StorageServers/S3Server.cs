using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Fluid.Aspire.TestSupport.StorageServers;

/// <summary>
/// A real S3-compatible server (s3rver, from npm) on 127.0.0.1 and a free port, for one test, with one bucket and its
/// own data directory; killed and deleted on dispose. It knows one key pair, <see cref="AccessKeyId"/> and
/// <see cref="SecretKey"/>, and checks the key id of signed requests. A test that needs it is skipped, saying why, when
/// s3rver or node is not installed.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string AccessKeyId = "S3RVER";
    public const string SecretKey = "S3RVER";

    private readonly TemporaryDirectory _directory;
    private readonly ChildProcess _process;

    private S3Server(TemporaryDirectory directory, int port, string bucket, ChildProcess process)
    {
        _directory = directory;
        Port = port;
        Bucket = bucket;
        _process = process;
    }

    public int Port { get; }

    public string Bucket { get; }

    /// <summary>The endpoint to give an S3 client, with path-style addressing.</summary>
    public Uri Endpoint => new($"http://127.0.0.1:{Port}/");

    /// <summary>s3rver's script from FLUID_S3RVER (set by .ci/prerequisites.sh's fluid_storage_servers), else .tools/s3rver's; or null.</summary>
    public static string? FindScript() =>
        StorageServerInstall.Find("FLUID_S3RVER", [Path.Combine(RepositoryPaths.Root, ".tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js")]);

    public static async Task<S3Server> StartAsync(string bucket, CancellationToken cancellationToken)
    {
        var script = FindScript();
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "node")).FirstOrDefault(File.Exists);
        Assert.SkipWhen(script is null || node is null,
            "s3rver is not installed: run ./test.sh (its fluid_storage_servers installs it into .tools/s3rver with npm), which needs node and npm.");
        var directory = new TemporaryDirectory();
        var port = FreePort.Next();
        var process = ChildProcess.Start(node!,
            // s3rver's continuation tokens are DES-encrypted, which OpenSSL 3 keeps in its legacy provider.
            ["--openssl-legacy-provider", script!, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--address", "127.0.0.1",
             "--directory", directory.Path, "--silent", "--configure-bucket", bucket]);
        var server = new S3Server(directory, port, bucket, process);
        try
        {
            await ListeningPort.WaitAsync(port, process, "s3rver", cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Stores <paramref name="contents"/> under <paramref name="key"/> of the bucket, signed with the server's key pair.</summary>
    public async Task PutObjectAsync(string key, byte[] contents, CancellationToken cancellationToken)
    {
        var config = new AmazonS3Config
        {
            ServiceURL = Endpoint.AbsoluteUri,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            // s3rver predates the SDK's default trailing checksums.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        };
        using var client = new AmazonS3Client(new BasicAWSCredentials(AccessKeyId, SecretKey), config);
        await client.PutObjectAsync(new PutObjectRequest
        {
            BucketName = Bucket,
            Key = key,
            InputStream = new MemoryStream(contents),
            UseChunkEncoding = false,
        }, cancellationToken);
    }

    /// <summary>What s3rver printed, for failure messages.</summary>
    public string Output => _process.Output;

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _directory.Dispose();
    }
}

using System.Globalization;

namespace Fluid.Aspire.TestSupport.StorageServers;

/// <summary>
/// A real nginx on 127.0.0.1 and a free port, for one test, serving <see cref="DataDirectory"/> as web under storage:
/// <c>/data/</c> with HTML directory listings (autoindex), <c>/json/</c> the same files with JSON listings,
/// <c>/slow/</c> the same files at <see cref="SlowRate"/> bytes per second (limit_rate), and <c>/broken/</c> answering
/// 500 to everything. Requests are logged, so a test can count them. Killed and deleted on dispose; a test that needs
/// it is skipped, saying why, when nginx is not installed.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    /// <summary>The rate of <c>/slow/</c>, in bytes per second.</summary>
    public const int SlowRate = 16 * 1024;

    private readonly TemporaryDirectory _prefix;
    private readonly ChildProcess _process;

    private NginxServer(TemporaryDirectory prefix, int port, ChildProcess process)
    {
        _prefix = prefix;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    /// <summary>The directory nginx serves: files written here appear under /data/, /json/ and /slow/.</summary>
    public string DataDirectory => Path.Combine(_prefix.Path, "data");

    public Uri BaseUrl => new($"http://127.0.0.1:{Port}/");

    /// <summary>nginx from FLUID_NGINX (set by .ci/prerequisites.sh's fluid_storage_servers), else Debian's, else PATH's; or null.</summary>
    public static string? FindBinary() =>
        StorageServerInstall.Find("FLUID_NGINX",
            ["/usr/sbin/nginx", .. (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(d => Path.Combine(d, "nginx"))]);

    public static async Task<NginxServer> StartAsync(CancellationToken cancellationToken)
    {
        var binary = FindBinary();
        Assert.SkipWhen(binary is null,
            "nginx is not installed: run ./test.sh (its fluid_storage_servers installs it as root) or 'sudo apt-get install -y nginx-light'.");
        var prefix = new TemporaryDirectory();
        Directory.CreateDirectory(Path.Combine(prefix.Path, "data"));
        var port = FreePort.Next();
        var config = Path.Combine(prefix.Path, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(prefix.Path, port), cancellationToken);
        var process = ChildProcess.Start(binary!, ["-p", prefix.Path + "/", "-c", config, "-e", "stderr", "-g", "daemon off;"]);
        var server = new NginxServer(prefix, port, process);
        try
        {
            await ListeningPort.WaitAsync(port, process, "nginx", cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>Writes a file under the data directory (parents created) and returns its bytes.</summary>
    public byte[] WriteFile(string path, int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var full = Path.Combine(DataDirectory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, bytes);
        return bytes;
    }

    /// <summary>
    /// How many requests for paths starting with <paramref name="pathPrefix"/> nginx has answered, once it has logged
    /// every request answered so far: nginx writes a request's line after its answer, so a count read at once can miss
    /// the last one. A marker request, answered after every earlier one, shows when the log has caught up.
    /// </summary>
    public async Task<int> CountRequestsAsync(string pathPrefix, CancellationToken cancellationToken)
    {
        var marker = $"/logged-{Guid.NewGuid():N}";
        using (var client = new HttpClient())
        {
            using var response = await client.GetAsync(new Uri(BaseUrl, marker), cancellationToken);
        }

        await Eventually.ReturnsAsync(() => Logged(marker), count => count == 1, Eventually.Patience, $"nginx to log {marker}", cancellationToken);
        return Logged(pathPrefix);
    }

    private int Logged(string pathPrefix) =>
        File.ReadLines(Path.Combine(_prefix.Path, "access.log"))
            .Count(line => line.Split(' ') is [_, var uri, ..] && uri.StartsWith(pathPrefix, StringComparison.Ordinal));

    /// <summary>What nginx printed, for failure messages.</summary>
    public string Output => _process.Output;

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        _prefix.Dispose();
    }

    // master_process off: one process as the test's own user, which can read the test's 0700 temp directory.
    private static string Config(string prefix, int port) => string.Create(CultureInfo.InvariantCulture, $$"""
        master_process off;
        worker_processes 1;
        pid {{prefix}}/nginx.pid;
        error_log stderr warn;
        events { worker_connections 256; }
        http {
            default_type application/octet-stream;
            log_format counted '$request_method $uri $status';
            access_log {{prefix}}/access.log counted;
            client_body_temp_path {{prefix}}/client_body;
            proxy_temp_path {{prefix}}/proxy;
            fastcgi_temp_path {{prefix}}/fastcgi;
            uwsgi_temp_path {{prefix}}/uwsgi;
            scgi_temp_path {{prefix}}/scgi;
            server {
                listen 127.0.0.1:{{port}};
                location /data/ { alias {{prefix}}/data/; autoindex on; }
                location /json/ { alias {{prefix}}/data/; autoindex on; autoindex_format json; }
                location /slow/ { alias {{prefix}}/data/; autoindex on; limit_rate {{SlowRate}}; }
                location /broken/ { return 500; }
            }
        }
        """);
}

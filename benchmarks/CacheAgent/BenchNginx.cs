using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Fluid.Aspire.Benchmarks.CacheAgent;

/// <summary>
/// A real nginx on 127.0.0.1 and a free port serving <see cref="DataDirectory"/> under <c>/data/</c> with autoindex
/// listings, as the cache's HTTP under storage; killed and its directory deleted on dispose.
/// </summary>
internal sealed class BenchNginx : IAsyncDisposable
{
    private readonly string _prefix;
    private readonly Process _process;

    private BenchNginx(string prefix, int port, Process process)
    {
        _prefix = prefix;
        Port = port;
        _process = process;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_prefix, "data");

    /// <summary>The URL of <see cref="DataDirectory"/>, with its trailing slash.</summary>
    public Uri DataUrl => new($"http://127.0.0.1:{Port}/data/");

    public static async Task<BenchNginx> StartAsync(CancellationToken cancellationToken)
    {
        var binary = Environment.GetEnvironmentVariable("FLUID_NGINX") is { Length: > 0 } configured ? configured : "/usr/sbin/nginx";
        if (!File.Exists(binary))
        {
            throw new FileNotFoundException(
                $"nginx is not at {binary}: install it ('sudo apt-get install -y nginx-light') or set FLUID_NGINX to its path.", binary);
        }

        var prefix = Directory.CreateTempSubdirectory("fluid-bench-nginx-").FullName;
        Directory.CreateDirectory(Path.Combine(prefix, "data"));
        var port = FreePort();
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, Config(prefix, port), cancellationToken);
        var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "-p", prefix + "/", "-c", config, "-e", Path.Combine(prefix, "error.log"), "-g", "daemon off; master_process off;" },
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"{binary} did not start.");
        var server = new BenchNginx(prefix, port, process);
        try
        {
            await server.WaitListeningAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_prefix, recursive: true);
    }

    private async Task WaitListeningAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"nginx exited with {_process.ExitCode} before listening on {Port}: {ErrorLog()}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, cancellationToken);
            }
            catch (SocketException e)
            {
                throw new TimeoutException($"nginx did not listen on {Port} within 10 s ({e.Message}): {ErrorLog()}");
            }
        }
    }

    private string ErrorLog()
    {
        var log = Path.Combine(_prefix, "error.log");
        return File.Exists(log) ? File.ReadAllText(log) : "(no error.log)";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // master_process off (given with -g): one process as the benchmark's user, which can read its 0700 temp directory.
    private static string Config(string prefix, int port) => string.Create(CultureInfo.InvariantCulture, $$"""
        worker_processes 1;
        pid {{prefix}}/nginx.pid;
        error_log {{prefix}}/error.log warn;
        events { worker_connections 256; }
        http {
            default_type application/octet-stream;
            sendfile on;
            access_log off;
            client_body_temp_path {{prefix}}/client_body;
            proxy_temp_path {{prefix}}/proxy;
            fastcgi_temp_path {{prefix}}/fastcgi;
            uwsgi_temp_path {{prefix}}/uwsgi;
            scgi_temp_path {{prefix}}/scgi;
            server {
                listen 127.0.0.1:{{port}};
                location /data/ { alias {{prefix}}/data/; autoindex on; }
            }
        }
        """);
}

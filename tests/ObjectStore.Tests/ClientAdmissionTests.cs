using System.Globalization;
using Fluid.Aspire.ObjectStore.Fuzz;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>Who may connect, and how many: the kernel's word for the user, and a limit told to the client that exceeds it.</summary>
public sealed class ClientAdmissionTests
{
    private const int Nobody = 65534;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_client_of_a_user_the_store_does_not_serve_is_refused_with_its_uid_and_the_fix()
    {
        Assert.SkipWhen(Environment.UserName != "root", "running a client as another user needs root; ./test.sh runs as root in CI.");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        OpenToEveryone(daemon);

        var (code, reply) = await HelloAsNobodyAsync(daemon);

        Assert.True(code == 0, System.Text.Encoding.UTF8.GetString(reply));
        var refusal = Assert.IsType<ErrorResponse>(Answer.Parse(reply).Message);
        Assert.Equal(ObjectStoreErrorCode.PermissionDenied, refusal.Code);
        Assert.Contains($"Your user (uid {Nobody}) may not use the object store at {daemon.SocketPath}", refusal.Message, StringComparison.Ordinal);
        Assert.Contains($"--allow-uid {Nobody}", refusal.Message, StringComparison.Ordinal);
        await Eventually.ReturnsAsync(() => Task.FromResult(daemon.Process.Output), o => o.Contains($"uid {Nobody}): its user may not use this store", StringComparison.Ordinal),
            Patience, "the refusal in the daemon's log", Cancellation);
    }

    [Fact]
    public async Task A_user_named_with_allow_uid_is_served()
    {
        Assert.SkipWhen(Environment.UserName != "root", "running a client as another user needs root; ./test.sh runs as root in CI.");
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--allow-uid", $"{Nobody}"]);
        OpenToEveryone(daemon);

        var (code, reply) = await HelloAsNobodyAsync(daemon);

        Assert.True(code == 0, System.Text.Encoding.UTF8.GetString(reply));
        Assert.IsType<WelcomeResponse>(Answer.Parse(reply).Message);
    }

    [Fact]
    public async Task A_thousand_clients_are_served_by_a_few_threads_and_one_beyond_the_limit_is_told_so()
    {
        const int Limit = 1024;
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, options: ["--max-clients", $"{Limit}", "--ipc-threads", "2"]);
        await using var observer = await daemon.ConnectAsync(Cancellation, "observer");
        var stats = CaseGenerator.Encode(w => w.Begin(MessageType.Stats));
        var clients = new List<RawConnection>();
        try
        {
            for (var i = 1; i < Limit; i++)
            {
                var client = await RawConnection.ConnectAsync(daemon.SocketPath, Cancellation);
                clients.Add(client);
                await client.HelloAsync(Patience, Cancellation);
            }

            // Every one of them is answered, all asking at once.
            var answers = await Task.WhenAll(clients.Select(async client =>
            {
                await client.SendAsync(stats, Cancellation);
                return await client.ReadAsync(Patience, Cancellation);
            }));
            Assert.All(answers, answer => Assert.Equal(MessageType.StatsReply, answer?.Type));
            Assert.Equal(Limit, (await observer.GetStatsAsync(Cancellation)).Connections);
            var threads = Threads(daemon.Process.Id);
            Assert.True(threads <= 64, $"The daemon runs {threads} threads for {Limit} clients.");

            var refused = await Assert.ThrowsAsync<ObjectStoreException>(() => daemon.ConnectAsync(Cancellation, "one-too-many"));
            Assert.Equal(ObjectStoreErrorCode.TooManyClients, refused.Code);
            Assert.Contains($"serves at most {Limit} clients at once", refused.Message, StringComparison.Ordinal);
            Assert.Contains("--max-clients", refused.Message, StringComparison.Ordinal);

            // A place freed is a place taken.
            clients[0].Dispose();
            clients.RemoveAt(0);
            var next = await Eventually.ReturnsAsync<Client.ObjectStoreClient?>(() => TryConnectAsync(daemon), c => c is not null, Patience, "a connection in the freed place", Cancellation);
            await using (next)
            {
                Assert.Equal(Limit, (await next!.GetStatsAsync(Cancellation)).Connections);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<Client.ObjectStoreClient?> TryConnectAsync(ObjectStoreDaemon daemon)
    {
        try
        {
            return await daemon.ConnectAsync(Cancellation, "next");
        }
        catch (ObjectStoreException ex) when (ex.Code == ObjectStoreErrorCode.TooManyClients)
        {
            return null;
        }
    }

    private static int Threads(int processId) => int.Parse(
        File.ReadLines($"/proc/{processId}/status").Single(l => l.StartsWith("Threads:", StringComparison.Ordinal))["Threads:".Length..].Trim(),
        CultureInfo.InvariantCulture);

    /// <summary>A socket any user can reach, as a careless mode would leave it: the uid check is then what decides.</summary>
    private static void OpenToEveryone(ObjectStoreDaemon daemon)
    {
        File.SetUnixFileMode(daemon.Directory, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(daemon.SocketPath, (UnixFileMode)0b110_110_110);
    }

    /// <summary>Says Hello from a process of user nobody (perl, which every Debian has) and returns the first frame's body.</summary>
    private static async Task<(int ExitCode, byte[] Reply)> HelloAsNobodyAsync(ObjectStoreDaemon daemon)
    {
        const string Script = """
            use Socket;
            socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die "socket: $!";
            connect($s, pack_sockaddr_un($ARGV[0])) or die "connect: $!";
            syswrite($s, pack("H*", $ARGV[1]));
            my $header = ""; sysread($s, $header, 8 - length($header), length($header)) while length($header) < 8;
            my $length = unpack("Q<", $header);
            my $body = ""; while (length($body) < $length) { sysread($s, $body, $length - length($body), length($body)) or die "closed"; }
            print unpack("H*", $body);
            """;
        await using var perl = ChildProcess.Start("setpriv",
            ["--reuid", $"{Nobody}", "--regid", $"{Nobody}", "--clear-groups", "perl", "-e", Script, daemon.SocketPath, Convert.ToHexString(CaseGenerator.Hello("perl"))]);
        var code = await perl.WaitForExitAsync(Patience, Cancellation);
        return (code, code == 0 ? Convert.FromHexString(perl.Output.Trim()) : System.Text.Encoding.UTF8.GetBytes(perl.Output));
    }
}

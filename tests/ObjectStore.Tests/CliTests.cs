using System.Text.Json;
using Fluid.Aspire.ObjectStore.Client;
using Fluid.Aspire.ObjectStore.Client.Arrow;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests;

/// <summary>The fluid-objectstore commands, run as a user runs them, against a real daemon.</summary>
public sealed class CliTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Put_ls_stat_stats_get_and_rm_work_together()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        var input = Path.Combine(daemon.Directory, "input.bin");
        var bytes = Enumerable.Range(0, 300_000).Select(i => (byte)i).ToArray();
        await File.WriteAllBytesAsync(input, bytes, Cancellation);

        var put = await daemon.CliAsync(Cancellation, "put", "--from-file", input, "--name", "blob-from-cli");
        Assert.True(put.ExitCode == 0, put.Output);
        var id = put.Output.Trim().Split('\n')[^1].Trim();
        Assert.Matches("^o[0-9a-f]{16}$", id);

        var ls = await daemon.CliAsync(Cancellation, "ls");
        Assert.Contains(id, ls.Output, StringComparison.Ordinal);
        Assert.Contains("blob-from-cli", ls.Output, StringComparison.Ordinal);
        Assert.Contains("fluid::Buffer", ls.Output, StringComparison.Ordinal);

        var stat = await daemon.CliAsync(Cancellation, "stat", "blob-from-cli");
        using (var meta = JsonDocument.Parse(stat.Output))
        {
            Assert.Equal(id, meta.RootElement.GetProperty("id").GetString());
            Assert.Equal(300_000, meta.RootElement.GetProperty("nBytes").GetInt64());
        }

        var stats = await daemon.CliAsync(Cancellation, "stats", "--json");
        using (var json = JsonDocument.Parse(stats.Output))
        {
            Assert.Equal(1, json.RootElement.GetProperty("objects").GetInt32());
        }

        var output = Path.Combine(daemon.Directory, "output.bin");
        Assert.Equal(0, (await daemon.CliAsync(Cancellation, "get", id, "--to-file", output)).ExitCode);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(output, Cancellation));

        var rm = await daemon.CliAsync(Cancellation, "rm", "blob-from-cli");
        Assert.Equal(0, rm.ExitCode);
        await using var client = await daemon.ConnectAsync(Cancellation);
        Assert.Equal(0, (await client.GetStatsAsync(Cancellation)).Objects);
    }

    [Fact]
    public async Task Dotnet_run_reads_and_writes_files_where_the_user_is_not_in_the_project_folder()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        using var here = new TemporaryDirectory();
        await File.WriteAllTextAsync(Path.Combine(here.Path, "note.txt"), "written here", Cancellation);

        var put = await DotnetRunAsync(here.Path, "--socket", daemon.SocketPath, "put", "--from-file", "note.txt", "--name", "note");
        var get = await DotnetRunAsync(here.Path, "--socket", daemon.SocketPath, "get", "note", "--to-file", "copy.txt");

        Assert.True(put.ExitCode == 0, put.Output);
        Assert.True(get.ExitCode == 0, get.Output);
        Assert.Equal("written here", await File.ReadAllTextAsync(Path.Combine(here.Path, "copy.txt"), Cancellation));
        Assert.False(File.Exists(Path.Combine(RepositoryPaths.Root, "src", "ObjectStore", "copy.txt")));
    }

    /// <summary>The README's way: <c>dotnet run --project src/ObjectStore -- …</c>, from <paramref name="directory"/>.</summary>
    private static async Task<(int ExitCode, string Output)> DotnetRunAsync(string directory, params string[] arguments)
    {
        await using var run = ChildProcess.Start(RepositoryPaths.DotnetHost,
            ["run", "--project", Path.Combine(RepositoryPaths.Root, "src", "ObjectStore"), "-c", RepositoryPaths.Configuration, "--no-build", "--", .. arguments],
            workingDirectory: directory);
        var exitCode = await run.WaitForExitAsync(TimeSpan.FromMinutes(2), Cancellation);
        return (exitCode, run.Output);
    }

    [Fact]
    public async Task Mistakes_get_one_line_that_says_what_is_wrong_and_a_non_zero_exit_code()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);

        var missing = await daemon.CliAsync(Cancellation, "get", "no-such-object", "--to-file", Path.Combine(daemon.Directory, "x"));
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("error: No object is named 'no-such-object'", missing.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missing.Output, StringComparison.Ordinal);

        var noFile = await daemon.CliAsync(Cancellation, "put", "--from-file", "/nonexistent/file");
        Assert.Equal(1, noFile.ExitCode);
        Assert.Contains("There is no file /nonexistent/file", noFile.Output, StringComparison.Ordinal);

        await using (var noDaemon = ChildProcess.StartDotnet(ObjectStoreDaemon.Executable, ["--socket", "/tmp/no-daemon-here.sock", "ls"]))
        {
            Assert.Equal(1, await noDaemon.WaitForExitAsync(TimeSpan.FromSeconds(60), Cancellation));
            Assert.Contains("Cannot reach the object store at /tmp/no-daemon-here.sock: there is no socket file there. Is the daemon running", noDaemon.Output, StringComparison.Ordinal);
        }

        var usage = await daemon.CliAsync(Cancellation, "put");
        Assert.NotEqual(0, usage.ExitCode);
        Assert.Contains("--from-file", usage.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_refuses_to_export_a_table_whose_batches_have_different_dictionaries()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);
        await using var client = await daemon.ConnectAsync(Cancellation);
        await client.PutTableAsync([Batch("a", "b"), Batch("c", "d")], new PutOptions { Name = "two-dictionaries" }, Cancellation);

        var get = await daemon.CliAsync(Cancellation, "get", "two-dictionaries", "--to-file", Path.Combine(daemon.Directory, "out.arrow"));

        Assert.Equal(1, get.ExitCode);
        Assert.Contains("different dictionaries", get.Output, StringComparison.Ordinal);

        static Apache.Arrow.RecordBatch Batch(params string[] words)
        {
            var type = new Apache.Arrow.Types.DictionaryType(Apache.Arrow.Types.Int32Type.Default, Apache.Arrow.Types.StringType.Default, false);
            var indices = new Apache.Arrow.Int32Array.Builder().AppendRange([0, 1, 0]).Build();
            var dictionary = new Apache.Arrow.StringArray.Builder().AppendRange(words).Build();
            var schema = new Apache.Arrow.Schema.Builder().Field(f => f.Name("word").DataType(type)).Build();
            return new Apache.Arrow.RecordBatch(schema, [new Apache.Arrow.DictionaryArray(type, indices, dictionary)], 3);
        }
    }

    [Fact]
    public async Task Start_refuses_bad_settings_and_a_socket_another_daemon_serves()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation);

        var badSize = await daemon.CliAsync(Cancellation, "start", "--size", "lots");
        Assert.Equal(2, badSize.ExitCode);
        Assert.Contains("'lots' is not a size", badSize.Output, StringComparison.Ordinal);

        var taken = await daemon.CliAsync(Cancellation, "start", "--size", "16Mi");
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains($"Another daemon serves {daemon.SocketPath}", taken.Output, StringComparison.Ordinal);
        await using var client = await daemon.ConnectAsync(Cancellation);
        Assert.Equal("node-0", client.Node);
    }
}

using System.Globalization;
using Fluid.Aspire.ObjectStore.Fuzz;
using Fluid.Aspire.TestSupport;

namespace Fluid.Aspire.ObjectStore.Tests.Protocol;

/// <summary>
/// Thousands of hostile connections from the fuzz generator (valid frames with bytes flipped, frames cut, lengths
/// changed, frames spliced, and the known hard cases) against a real daemon, while good clients put and get. The
/// long run is the ObjectStore.Fuzz command; this is its short, seeded version.
/// </summary>
public sealed class ProtocolFuzzTests
{
    /// <summary>The seed of the cases; FLUID_FUZZ_SEED picks another, to explore beyond the cases checked every run.</summary>
    private static readonly int Seed =
        int.TryParse(Environment.GetEnvironmentVariable("FLUID_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : 20_240_917;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_thousand_hostile_connections_leave_the_daemon_alive_serving_and_holding_nothing()
    {
        await using var daemon = await ObjectStoreDaemon.StartAsync(Cancellation, size: "256Mi");
        var options = new FuzzOptions
        {
            SocketPath = daemon.SocketPath,
            Seed = Seed,
            Cases = 3_000,
            Parallelism = 8,
            CheckEvery = 250,
            CaseTimeout = TimeSpan.FromSeconds(20),
            DaemonAlive = () => !daemon.Process.HasExited,
            DaemonMemory = () => FuzzRun.ResidentMemory(daemon.Process.Id),
            CheckLeaks = true,
        };

        var summary = await new FuzzRun(options).RunAsync(Cancellation);

        Assert.True(summary.Passed, $"{summary.Describe()}\nDaemon output:\n{Tail(daemon.Process.Output)}");
        Assert.Equal(3_000, summary.Cases);
        Assert.True(summary.GoodChecksPassed >= 3_000 / 250, summary.Describe());
        Assert.True(summary.Answers.ContainsKey("Error ProtocolError") && summary.Answers.ContainsKey("StatsReply"), summary.Describe());
        Assert.False(daemon.Process.HasExited);
    }

    [Fact]
    public void The_same_seed_and_index_give_the_same_case_and_others_differ()
    {
        var first = new CaseGenerator(7);
        var second = new CaseGenerator(7);
        var other = new CaseGenerator(8);

        for (var i = 0; i < 500; i++)
        {
            var (a, b) = (first.Generate(i), second.Generate(i));
            Assert.Equal((a.Kind, a.Handshake, a.Ending, a.ExpectedAnswers, a.ExpectedError), (b.Kind, b.Handshake, b.Ending, b.ExpectedAnswers, b.ExpectedError));
            Assert.Equal(a.Bytes, b.Bytes);
            Assert.Equal(a.Cuts, b.Cuts);
            Assert.Equal(a.BlobSizes, b.BlobSizes);
        }

        Assert.Contains(Enumerable.Range(0, 20), i => !first.Generate(i).Bytes.AsSpan().SequenceEqual(other.Generate(i).Bytes));
    }

    [Fact]
    public void The_generator_covers_every_kind_of_case()
    {
        var generator = new CaseGenerator(11);

        var kinds = Enumerable.Range(0, 3_000).Select(i => generator.Generate(i).Kind.Split(':')[0]).ToHashSet(StringComparer.Ordinal);

        Assert.Superset(
            new HashSet<string>(StringComparer.Ordinal)
            {
                "random-bytes", "hello-then-random", "random-frames", "mutated", "valid", "sealing", "sealing-mutated", "length-prefix",
                "wrong-magic", "wrong-version", "wrong-version-no-name", "truncated-hello", "hello-trailing-bytes", "hello-twice",
                "request-before-hello", "hello-name-too-long", "nothing", "unknown-type", "meta-too-deep", "count-beyond-frame",
                "count-six-bytes", "count-beyond-32-bits", "invalid-utf8", "bool-not-0-or-1", "trailing-bytes", "size-beyond-2^63",
                "duplicate-member", "counts-claiming-the-frame", "ids-claiming-the-frame", "many-frames", "many-frames-abort",
            },
            kinds);
    }

    private static string Tail(string output) => output.Length <= 8000 ? output : output[^8000..];
}

using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Kubernetes;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Controller.Events;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Fluid.Aspire.Controller.Tests.Events;

/// <summary>
/// The controller's events as Kubernetes keeps them, recorded on the local API server over a real etcd: a repeat is
/// counted on one event, and an event goes its time to live after it last happened.
/// </summary>
public sealed class EventRecorderTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_recurring_steps_repeats_are_one_event_per_reason_whose_count_and_last_timestamp_grow()
    {
        await using var api = await Api.StartAsync("01:00:00");
        var start = new DateTimeOffset(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
        var clock = new FakeTimeProvider(start);
        var recorder = new EventRecorder(api.Kubernetes, clock, NullLogger<EventRecorder>.Instance);
        var step = new DataProcess { Metadata = new V1ObjectMeta { Name = "hourly", NamespaceProperty = Resource.DefaultNamespace, Uid = Guid.NewGuid().ToString() } };

        // Every run's messages hold its attempt, its pod and how long it took: noise that must not make an event each.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            await recorder.NormalAsync(step, "Started", $"Attempt {attempt} started on node-0 as pod hourly-{attempt} (pid {4000 + attempt}).", Cancellation);
            await recorder.NormalAsync(step, "Completed", $"exited with code 0 on node-0 in {attempt}.5 s.", Cancellation);
            clock.Advance(TimeSpan.FromHours(1));
        }

        var events = (await api.Kubernetes.CoreV1.ListNamespacedEventAsync(Resource.DefaultNamespace,
            fieldSelector: "involvedObject.name=hourly", cancellationToken: Cancellation)).Items;
        Assert.Equal(["Completed", "Started"], events.Select(e => e.Reason).Order(StringComparer.Ordinal));
        var started = Assert.Single(events, e => e.Reason == "Started");
        Assert.Equal(EventRecorder.NameFor(step, "Normal", "Started"), started.Metadata.Name);
        Assert.Equal(3, started.Count);
        Assert.Equal(start.UtcDateTime, started.FirstTimestamp);
        Assert.Equal(start.AddHours(2).UtcDateTime, started.LastTimestamp);
        Assert.Equal("Attempt 3 started on node-0 as pod hourly-3 (pid 4003).", started.Message);
        Assert.Equal((3, "fluid-controller", step.Metadata.Uid), (events.Single(e => e.Reason == "Completed").Count, started.Source.Component, started.InvolvedObject.Uid));
    }

    [Fact]
    public async Task An_event_expires_its_time_to_live_after_it_was_recorded()
    {
        await using var api = await Api.StartAsync("00:00:02");
        var recorder = new EventRecorder(api.Kubernetes, TimeProvider.System, NullLogger<EventRecorder>.Instance);
        var step = new DataProcess { Metadata = new V1ObjectMeta { Name = "fleeting", NamespaceProperty = Resource.DefaultNamespace, Uid = Guid.NewGuid().ToString() } };

        await recorder.WarningAsync(step, "Failed", "exited with code 1.", Cancellation);
        var name = EventRecorder.NameFor(step, "Warning", "Failed");
        Assert.Equal("exited with code 1.", (await api.Kubernetes.CoreV1.ReadNamespacedEventAsync(name, Resource.DefaultNamespace, cancellationToken: Cancellation)).Message);

        await Eventually.ReturnsAsync(async () => (await api.Kubernetes.CoreV1.ListNamespacedEventAsync(Resource.DefaultNamespace, cancellationToken: Cancellation)).Items.Count,
            count => count == 0, TimeSpan.FromSeconds(30), "the event gone after its 2 s to live (etcd rounds leases up to whole seconds)", Cancellation);
    }

    /// <summary>A real etcd and the local API server on it, in this process, with the event TTL under test.</summary>
    private sealed class Api : IAsyncDisposable
    {
        private readonly EtcdServer _etcd;
        private readonly TemporaryDirectory _directory;
        private readonly WebApplication _app;

        private Api(EtcdServer etcd, TemporaryDirectory directory, WebApplication app, k8s.Kubernetes kubernetes)
        {
            _etcd = etcd;
            _directory = directory;
            _app = app;
            Kubernetes = kubernetes;
        }

        public k8s.Kubernetes Kubernetes { get; }

        public static async Task<Api> StartAsync(string eventTtl)
        {
            var etcd = await EtcdServer.StartAsync(Cancellation);
            var directory = new TemporaryDirectory();
            var kubeconfig = Path.Combine(directory.Path, "kubeconfig");
            var app = ApiServer.ApiServerHost.Build([], new Dictionary<string, string?>
            {
                ["urls"] = "https://127.0.0.1:0",
                ["ConnectionStrings:fluid"] = etcd.ConnectionString().ToString(),
                ["Fluid:ApiServer:Token"] = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray()),
                ["Fluid:ApiServer:Kubeconfig"] = kubeconfig,
                ["Fluid:ApiServer:CertificateDirectory"] = Path.Combine(directory.Path, "tls"),
                ["Fluid:ApiServer:EventTtl"] = eventTtl,
                ["Logging:LogLevel:Default"] = "Warning",
            });
            await app.StartAsync(Cancellation);
            var kubernetes = new k8s.Kubernetes(Kubeconfig.Load(kubeconfig));
            // The server makes the default namespace as it starts; events need it.
            await Eventually.ReturnsAsync(async () =>
            {
                try
                {
                    return (await kubernetes.CoreV1.ReadNamespaceAsync(Resource.DefaultNamespace, cancellationToken: Cancellation)) is not null;
                }
                catch (HttpOperationException)
                {
                    return false;
                }
            }, made => made, TimeSpan.FromSeconds(30), "the default namespace", Cancellation);
            return new Api(etcd, directory, app, kubernetes);
        }

        public async ValueTask DisposeAsync()
        {
            Kubernetes.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            await _etcd.DisposeAsync();
            _directory.Dispose();
        }
    }
}

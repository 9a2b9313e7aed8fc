using System.Reflection;
using System.Runtime.InteropServices;
using Fluid.Aspire.Cluster.Membership;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace Fluid.Aspire.CacheAgent.Kubelet;

/// <summary>
/// The simulated node as its kubelet reports it in the Node's status: where the kubelet serves (address and
/// <c>daemonEndpoints.kubeletEndpoint</c>, which the API server's <c>pods/log</c> calls), what runs pods
/// (<c>nodeInfo</c>), and the machine's capacity.
/// </summary>
public sealed class KubeletNode(k8s.Kubernetes kubernetes, IOptions<NodeOptions> options, NodeRegistrar registrar, IServer server, ILogger<KubeletNode> logger)
{
    private static readonly string Version =
        typeof(KubeletNode).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public string Name => options.Value.Name;

    /// <summary>The node's address: a simulated node's pods share this machine's loopback.</summary>
    public string Address => "127.0.0.1";

    /// <summary>Writes the node's status once its registrar has created the Node.</summary>
    public async Task PublishAsync(CancellationToken cancellationToken)
    {
        while (!registrar.IsRegistered)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        var port = server.Features.Get<IServerAddressesFeature>()?.Addresses
            .Where(address => !address.StartsWith(NodeMember.UnixAddressPrefix, StringComparison.Ordinal))
            .Select(address => Uri.TryCreate(address.Replace("://+", "://localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null)
            .FirstOrDefault(uri => uri?.Scheme == Uri.UriSchemeHttp)?.Port
            ?? throw new InvalidOperationException("The cache agent serves no http:// address, where the API server would read pod logs; set ASPNETCORE_URLS to one.");
        var status = new V1NodeStatus
        {
            Addresses = [new V1NodeAddress { Address = Address, Type = "InternalIP" }, new V1NodeAddress { Address = Name, Type = "Hostname" }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = port } },
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant() switch { "x64" => "amd64", var other => other },
                BootID = ReadOr("/proc/sys/kernel/random/boot_id", ""),
                MachineID = ReadOr("/etc/machine-id", ""),
                SystemUUID = ReadOr("/etc/machine-id", ""),
                KernelVersion = ReadOr("/proc/sys/kernel/osrelease", Environment.OSVersion.Version.ToString()),
                OperatingSystem = "linux",
                OsImage = RuntimeInformation.OSDescription,
                ContainerRuntimeVersion = $"fluid-process://{Version}",
                KubeletVersion = $"fluid-{Version}",
                KubeProxyVersion = "",
            },
            Capacity = Capacity(),
            Allocatable = Capacity(),
        };
        await kubernetes.CoreV1.PatchNodeStatusAsync(new V1Patch(new { status }, V1Patch.PatchType.MergePatch), Name, cancellationToken: cancellationToken);
        logger.LogInformation("Node {Node}: its kubelet serves pod logs on {Address}:{Port}.", Name, Address, port);
    }

    private static Dictionary<string, ResourceQuantity> Capacity() => new(StringComparer.Ordinal)
    {
        ["cpu"] = new ResourceQuantity(Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ["memory"] = new ResourceQuantity($"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024}Ki"),
        ["pods"] = new ResourceQuantity("110"),
    };

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return fallback;
        }
    }
}

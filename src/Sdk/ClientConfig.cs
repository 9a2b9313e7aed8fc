using System.Text.Json;
using Fluid.Aspire.Cluster.Etcd;

namespace Fluid.Sdk;

/// <summary>Where the stack is and which namespace to work in, as the Python SDK's ClientConfig.</summary>
public sealed class ClientConfig
{
    /// <summary>The environment variable the AppHost (and the controller, for steps) sets.</summary>
    public const string ConnectionVariable = "ConnectionStrings__fluid";

    /// <summary>The namespace of the datasets and steps; <c>default</c>.</summary>
    public string Namespace { get; set; } = "default";

    /// <summary>
    /// The stack's connection string (<c>Endpoints=http://…;Prefix=/fluid;Controller=http://…</c>, or a plain etcd URL).
    /// Default: <c>$ConnectionStrings__fluid</c>, else <c>$FLUID_ETCD</c>, else <c>connectionString</c> in ~/.fluid/config.json.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// The Unix socket of this node's object store, for <see cref="FluidClient.ConnectObjectStoreAsync"/>. Default:
    /// <c>$FLUID_OBJECTSTORE_SOCKET</c> (set for steps, and for pipeline programs on a cluster, whose pod's host name is
    /// not its node's); else the store is found in the stack's registry by this machine's name.
    /// </summary>
    public string? ObjectStoreSocket { get; set; } = Environment.GetEnvironmentVariable(Fluid.Aspire.ObjectStore.Client.ObjectStoreClientOptions.SocketVariable) is { Length: > 0 } socket ? socket : null;

    /// <summary>The configuration file read when nothing else names the stack.</summary>
    public string ConfigFile { get; set; } = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fluid", "config.json");

    internal ClusterConnectionString Resolve()
    {
        var text = ConnectionString
            ?? Environment.GetEnvironmentVariable(ConnectionVariable)
            ?? Environment.GetEnvironmentVariable("FLUID_ETCD")
            ?? FromFile();
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new InvalidOperationException(
                "No Fluid stack is configured. Run the program through the AppHost (dotnet run --project AppHost), which sets " +
                $"{ConnectionVariable}; or set FLUID_ETCD=http://127.0.0.1:2379; or write {{\"connectionString\": \"http://127.0.0.1:2379\"}} to {ConfigFile}.");
        }

        try
        {
            return ClusterConnectionString.Parse(text);
        }
        catch (FormatException ex)
        {
            throw new InvalidOperationException($"The Fluid connection string is invalid: {ex.Message}", ex);
        }
    }

    private string? FromFile()
    {
        if (!File.Exists(ConfigFile))
        {
            return null;
        }

        using var document = JsonDocument.Parse(File.ReadAllText(ConfigFile));
        return document.RootElement.TryGetProperty("connectionString", out var value) ? value.GetString() : null;
    }
}

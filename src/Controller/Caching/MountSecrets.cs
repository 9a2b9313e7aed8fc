using System.Net;
using System.Text;
using Fluid.Aspire.Contracts.Datasets;
using k8s;
using k8s.Autorest;

namespace Fluid.Aspire.Controller.Caching;

/// <summary>
/// The values of a dataset's encrypt options, read from the Secrets they name in the dataset's namespace, for the
/// cache agents that read its mounts. They are held for the call only: never logged, never written to a status.
/// </summary>
public sealed class MountSecrets(k8s.Kubernetes kubernetes)
{
    /// <summary>Each mount's encrypt options with their values, by the mount's index.</summary>
    /// <exception cref="MountSecretException">A Secret or key is missing, or cannot be read; the message says which and how to fix it.</exception>
    public async Task<List<Dictionary<string, string>>> ReadAsync(Dataset dataset, CancellationToken cancellationToken)
    {
        var namespaceName = dataset.Metadata.NamespaceProperty;
        var secrets = new Dictionary<string, IDictionary<string, byte[]>>(StringComparer.Ordinal);
        var values = new List<Dictionary<string, string>>();
        foreach (var mount in dataset.Spec.Mounts)
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var option in mount.EncryptOptions)
            {
                var reference = option.ValueFrom.SecretKeyRef;
                if (!secrets.TryGetValue(reference.Name, out var data))
                {
                    data = secrets[reference.Name] = await ReadSecretAsync(namespaceName, reference.Name, option.Name, cancellationToken);
                }

                options[option.Name] = data.TryGetValue(reference.Key, out var value)
                    ? Encoding.UTF8.GetString(value)
                    : throw new MountSecretException(
                        $"Secret {namespaceName}/{reference.Name} has no key {reference.Key}, which the encrypt option {option.Name} of mount " +
                        $"{mount.MountPoint} names; its keys are {(data.Count == 0 ? "none" : string.Join(", ", data.Keys.Order(StringComparer.Ordinal)))}.");
            }

            values.Add(options);
        }

        return values;
    }

    private async Task<IDictionary<string, byte[]>> ReadSecretAsync(string namespaceName, string name, string option, CancellationToken cancellationToken)
    {
        try
        {
            var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync(name, namespaceName, cancellationToken: cancellationToken);
            return secret.Data ?? new Dictionary<string, byte[]>();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new MountSecretException(
                $"Secret {namespaceName}/{name}, which the encrypt option {option} names, does not exist; create it, e.g. " +
                $"kubectl create secret generic {name} -n {namespaceName} --from-literal=KEY=VALUE.");
        }
        catch (HttpOperationException e)
        {
            throw new MountSecretException($"Secret {namespaceName}/{name}, which the encrypt option {option} names, cannot be read: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}.");
        }
    }
}

/// <summary>A dataset's encrypt options cannot be read; the message says which Secret or key and how to fix it.</summary>
public sealed class MountSecretException(string message) : Exception(message);

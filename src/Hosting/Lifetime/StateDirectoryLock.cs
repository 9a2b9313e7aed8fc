using System.Globalization;
using Aspire.Hosting;

namespace Fluid.Aspire.Hosting.Lifetime;

/// <summary>
/// Claims a stack's state directory for one running AppHost. A second stack on the same state (the same etcd data,
/// kubeconfig and certificates) would otherwise wait forever for an etcd that cannot start. The claim is an exclusive
/// lock on <c>stack.lock</c> in the directory, which the operating system releases when the process ends, however it
/// ends; <c>stack.owner</c> beside it says who holds it.
/// </summary>
public sealed class StateDirectoryLock : IDisposable
{
    private readonly FileStream _lock;

    private StateDirectoryLock(FileStream held) => _lock = held;

    /// <summary>Claims <paramref name="directory"/> (creating it) for this process until it is disposed or the process ends.</summary>
    /// <exception cref="DistributedApplicationException">Another process holds it; the message names that process and what to do.</exception>
    public static StateDirectoryLock Acquire(string directory)
    {
        Directory.CreateDirectory(directory);
        var owner = Path.Combine(directory, "stack.owner");
        FileStream held;
        try
        {
            held = new FileStream(Path.Combine(directory, "stack.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(owner) ? File.ReadAllText(owner).Trim() : "a process that has not said who it is";
            throw new DistributedApplicationException(
                $"Another stack is running on the state directory {directory} ({holder}). Stop it first (Ctrl+C where it runs), " +
                "or give this one a state directory of its own: ./run.sh --state-dir DIR (the AppHost's --Fluid:StateDirectory=DIR).");
        }

        File.WriteAllText(owner, string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId}, {Environment.ProcessPath}, since {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss} UTC\n"));
        return new StateDirectoryLock(held);
    }

    public void Dispose() => _lock.Dispose();
}

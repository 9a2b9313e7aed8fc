using System.Diagnostics;
using Fluid.Aspire.ObjectStore.Ipc;
using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Client;

/// <summary>
/// The client's spans: one per put and per get, so that a step's trace shows what it handed on and what it read,
/// how many bytes, on which node, and whether the bytes were mapped where they were written or copied from
/// another node first.
/// </summary>
internal static class ObjectStoreTracing
{
    public const string SourceName = "Fluid.Aspire.ObjectStore.Client";

    private static readonly ActivitySource Source = new(SourceName);

    public static Activity? StartPut(string node, ObjectMeta meta, string? name)
    {
        var activity = StartInside("objectstore put");
        if (activity is not null)
        {
            activity.SetTag("fluid.node", node);
            activity.SetTag("fluid.object.name", name);
            activity.SetTag("fluid.object.type", meta.TypeName);
            activity.SetTag("fluid.object.bytes", BytesOf(meta));
        }

        return activity;
    }

    public static Activity? StartGet(string node, ObjectRef target)
    {
        var activity = StartInside("objectstore get");
        activity?.SetTag("fluid.node", node);
        activity?.SetTag("fluid.object.ref", target.ToString());
        return activity;
    }

    /// <summary>
    /// A span inside the caller's operation (a step, a run), or none: a program's puts and gets outside any would each
    /// be a trace of its own.
    /// </summary>
    private static Activity? StartInside(string name) => Activity.Current is null ? null : Source.StartActivity(name, ActivityKind.Client);

    /// <summary>What a get found: a copy was made when the object was written by another node's store.</summary>
    public static void Got(Activity? activity, int localInstance, ObjectMeta meta)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("fluid.object.id", meta.Id.ToString());
        activity.SetTag("fluid.object.type", meta.TypeName);
        activity.SetTag("fluid.object.bytes", BytesOf(meta));
        activity.SetTag("fluid.object.owner", meta.Instance);
        activity.SetTag("fluid.transfer", meta.Instance == localInstance ? "zero-copy" : "copied");
    }

    /// <summary>The bytes in shared memory: those of the object's blobs (a composite object's own size is only known once created).</summary>
    private static long BytesOf(ObjectMeta meta) => meta.Blobs().Sum(b => b.NBytes);

    public static void Failed(Activity? activity, Exception error) =>
        activity?.SetStatus(ActivityStatusCode.Error, error is ObjectStoreException store ? store.Code.ToString() : error.GetType().Name);
}

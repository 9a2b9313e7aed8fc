using Fluid.Aspire.ObjectStore.Objects;

namespace Fluid.Aspire.ObjectStore.Ipc;

/// <summary>One line of a listing.</summary>
public sealed record ObjectSummary(
    ObjectId Id, string TypeName, long NBytes, int Instance, bool IsPersisted, bool IsLocal, bool IsSpilled, IReadOnlyList<string> Names);

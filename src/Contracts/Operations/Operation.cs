using k8s.Models;

namespace Fluid.Aspire.Contracts.Operations;

/// <summary>
/// A data operation (a step of a flow) seen through the parts every operation kind shares, so that the scheduler,
/// the <c>runAfter</c> logic and the TTL cleaner handle DataProcess and later kinds alike.
/// </summary>
public interface IOperation
{
    /// <summary>The operation's kind, e.g. <c>DataProcess</c>.</summary>
    string Kind { get; }

    /// <summary>The operation's metadata.</summary>
    V1ObjectMeta Metadata { get; }

    /// <summary>The fields of the spec every operation has.</summary>
    OperationSpec Spec { get; }

    /// <summary>The status every operation has.</summary>
    OperationStatus Status { get; }
}

/// <summary>The base of operation kinds: a spec deriving from <see cref="OperationSpec"/> and an <see cref="OperationStatus"/>.</summary>
/// <typeparam name="TSpec">The kind's spec.</typeparam>
public abstract class Operation<TSpec> : Resource<TSpec, OperationStatus>, IOperation
    where TSpec : OperationSpec, new()
{
    /// <summary>Sets the identity of a kind.</summary>
    protected Operation(string apiVersion, string kind)
        : base(apiVersion, kind)
    {
    }

    OperationSpec IOperation.Spec => Spec;
}

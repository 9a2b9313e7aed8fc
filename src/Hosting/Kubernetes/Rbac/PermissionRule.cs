namespace Fluid.Aspire.Hosting.Kubernetes.Rbac;

/// <summary>Where a permission holds: in every namespace (a ClusterRole) or in the namespace the stack runs in (a Role).</summary>
public enum PermissionScope
{
    /// <summary>Granted by a ClusterRole and ClusterRoleBinding: the resource is cluster-wide, or the component serves every namespace.</summary>
    Cluster,

    /// <summary>Granted by a Role and RoleBinding in the stack's own namespace.</summary>
    Namespace,
}

/// <summary>One thing a component may do through the Kubernetes API, and why it must.</summary>
/// <param name="ApiGroup">The API group; empty for the core group.</param>
/// <param name="Resource">The resource, e.g. <c>pods</c> or <c>datasets/status</c>.</param>
/// <param name="Verbs">The verbs, never <c>*</c>.</param>
/// <param name="Scope">Where the permission holds.</param>
/// <param name="Why">What the component does with it, for the RBAC table in the docs.</param>
public sealed record PermissionRule(string ApiGroup, string Resource, IReadOnlyList<string> Verbs, PermissionScope Scope, string Why);

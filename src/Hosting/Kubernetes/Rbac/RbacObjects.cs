using k8s;
using k8s.Models;
using Fluid.Aspire.Hosting.Kubernetes.Helm;
using Fluid.Aspire.Hosting.Kubernetes.Mapping;

namespace Fluid.Aspire.Hosting.Kubernetes.Rbac;

/// <summary>Turns a component's permission list into its ServiceAccount, roles and bindings.</summary>
internal static class RbacObjects
{
    private const string ApiVersion = "rbac.authorization.k8s.io/v1";

    /// <summary>
    /// Gives <paramref name="workload"/> a ServiceAccount and, for each scope its permissions use, a role and a binding;
    /// a component without permissions gets neither, and its pods mount no API token.
    /// </summary>
    public static void Grant(KubernetesWorkload workload, IReadOnlyList<PermissionRule> permissions, string partOf, ChartValues values)
    {
        if (permissions.Count == 0)
        {
            return;
        }

        var name = workload.Name;
        workload.ServiceAccount = new V1ServiceAccount
        {
            ApiVersion = "v1",
            Kind = "ServiceAccount",
            Metadata = WorkloadBuilder.Metadata(name, partOf),
            AutomountServiceAccountToken = true,
        };
        workload.PodTemplate.Spec.ServiceAccountName = name;
        workload.PodTemplate.Spec.AutomountServiceAccountToken = true;

        // Each object gets its own metadata and subject, so that a customization of one leaves the others alone.
        V1ObjectMeta Metadata() => WorkloadBuilder.Metadata(name, partOf);
        Rbacv1Subject Subject() => new()
        {
            Kind = "ServiceAccount",
            Name = name,
            // A binding must name the account's namespace: the release's in the chart, kustomize's in the manifests.
            NamespaceProperty = values.Derived(".Release.Namespace", "default"),
        };

        if (Rules(permissions, PermissionScope.Cluster) is { Count: > 0 } clusterRules)
        {
            workload.AdditionalObjects.Add(new V1ClusterRole { ApiVersion = ApiVersion, Kind = "ClusterRole", Metadata = Metadata(), Rules = clusterRules });
            workload.AdditionalObjects.Add(new V1ClusterRoleBinding { ApiVersion = ApiVersion, Kind = "ClusterRoleBinding", Metadata = Metadata(), RoleRef = RoleRef("ClusterRole", name), Subjects = [Subject()] });
        }

        if (Rules(permissions, PermissionScope.Namespace) is { Count: > 0 } namespaceRules)
        {
            workload.AdditionalObjects.Add(new V1Role { ApiVersion = ApiVersion, Kind = "Role", Metadata = Metadata(), Rules = namespaceRules });
            workload.AdditionalObjects.Add(new V1RoleBinding { ApiVersion = ApiVersion, Kind = "RoleBinding", Metadata = Metadata(), RoleRef = RoleRef("Role", name), Subjects = [Subject()] });
        }
    }

    private static V1RoleRef RoleRef(string kind, string name) => new() { ApiGroup = "rbac.authorization.k8s.io", Kind = kind, Name = name };

    /// <summary>One rule per API group and verb set, resources sorted, so that the output is stable and reads well.</summary>
    private static List<V1PolicyRule> Rules(IReadOnlyList<PermissionRule> permissions, PermissionScope scope) =>
    [
        .. permissions
            .Where(p => p.Scope == scope)
            .GroupBy(p => (p.ApiGroup, Verbs: string.Join(',', p.Verbs)))
            .Select(g => new V1PolicyRule
            {
                ApiGroups = [g.Key.ApiGroup],
                Resources = [.. g.Select(p => p.Resource).Order(StringComparer.Ordinal)],
                Verbs = [.. g.First().Verbs],
            }),
    ];
}

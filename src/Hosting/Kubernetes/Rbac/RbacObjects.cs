using k8s;
using k8s.Models;
using Fluid.Aspire.Hosting.Kubernetes.Helm;
using Fluid.Aspire.Hosting.Kubernetes.Mapping;

namespace Fluid.Aspire.Hosting.Kubernetes.Rbac;

/// <summary>Turns a component's permission list into its ServiceAccount, roles and bindings.</summary>
internal static class RbacObjects
{
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

        var subject = new Rbacv1Subject
        {
            Kind = "ServiceAccount",
            Name = name,
            // A ClusterRoleBinding must name the account's namespace: the release's in the chart, kustomize's in the manifests.
            NamespaceProperty = values.Derived(".Release.Namespace", "default"),
        };

        var clusterRules = Rules(permissions, PermissionScope.Cluster);
        if (clusterRules.Count > 0)
        {
            workload.AdditionalObjects.Add(new V1ClusterRole { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "ClusterRole", Metadata = WorkloadBuilder.Metadata(name, partOf), Rules = clusterRules });
            workload.AdditionalObjects.Add(new V1ClusterRoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "ClusterRoleBinding",
                Metadata = WorkloadBuilder.Metadata(name, partOf),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = name },
                Subjects = [subject],
            });
        }

        var namespaceRules = Rules(permissions, PermissionScope.Namespace);
        if (namespaceRules.Count > 0)
        {
            workload.AdditionalObjects.Add(new V1Role { ApiVersion = "rbac.authorization.k8s.io/v1", Kind = "Role", Metadata = WorkloadBuilder.Metadata(name, partOf), Rules = namespaceRules });
            workload.AdditionalObjects.Add(new V1RoleBinding
            {
                ApiVersion = "rbac.authorization.k8s.io/v1",
                Kind = "RoleBinding",
                Metadata = WorkloadBuilder.Metadata(name, partOf),
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = name },
                Subjects = [subject],
            });
        }
    }

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

using Fluid.Aspire.Hosting.Kubernetes.Rbac;
using Fluid.Aspire.TestSupport;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Fluid.Aspire.Hosting.Tests.Kubernetes;

/// <summary>
/// What <c>aspire publish</c> writes for the AppHost: checked against the snapshot under <c>Expected/</c>, read back
/// strictly into KubernetesClient's types, and accepted by the real helm and kubectl.
/// </summary>
/// <remarks>
/// After a deliberate change of the output, update the snapshot with
/// <c>FLUID_UPDATE_SNAPSHOTS=1 dotnet test tests/Hosting.Tests -c Release --filter "FullyQualifiedName~Kubernetes.PublishTests"</c>
/// and review the diff.
/// </remarks>
public sealed class PublishTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    private static readonly string Expected = Path.Combine(RepositoryPaths.Root, "tests", "Hosting.Tests", "Kubernetes", "Expected");

    /// <summary>The object stores' token, which the chart needs to render.</summary>
    private const string TokenValue = "secrets.fluid.objectStoreToken=a-test-token-of-more-than-32-characters";

    [Fact]
    public void The_output_matches_the_snapshot()
    {
        var actual = PublishedApp.Files(app.Output);
        if (Environment.GetEnvironmentVariable("FLUID_UPDATE_SNAPSHOTS") == "1")
        {
            if (Directory.Exists(Expected))
            {
                Directory.Delete(Expected, recursive: true);
            }

            foreach (var (file, text) in actual)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Expected, file))!);
                File.WriteAllText(Path.Combine(Expected, file), text);
            }
        }

        var expected = PublishedApp.Files(Expected);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (file, text) in expected)
        {
            Assert.True(text == actual[file], $"{file} differs from the snapshot; if the change is meant, update it (see the remarks of {nameof(PublishTests)}).\nExpected:\n{text}\nActual:\n{actual[file]}");
        }
    }

    [Fact]
    public void One_node_or_two_publish_the_same_bytes()
    {
        Assert.Equal(PublishedApp.Files(app.Output), PublishedApp.Files(app.OneNodeOutput));
    }

    [Fact]
    public async Task Publishing_again_writes_the_same_bytes_and_nothing_stale()
    {
        using var directory = new TemporaryDirectory();
        var output = Path.Combine(directory.Path, "out");
        Directory.CreateDirectory(Path.Combine(output, "chart", "templates", "gone"));
        File.WriteAllText(Path.Combine(output, "chart", "templates", "gone", "deployment.yaml"), "left by an earlier publish");

        await PublishedApp.PublishAsync(output, nodes: 2);

        Assert.Equal(PublishedApp.Files(app.Output), PublishedApp.Files(output));
    }

    [Fact]
    public void Every_manifest_reads_back_strictly_into_its_KubernetesClient_type_and_writes_back_the_same_text()
    {
        var manifests = Path.Combine(app.Output, "manifests");
        var kinds = new List<string>();
        foreach (var file in Directory.EnumerateFiles(manifests, "*.yaml", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != "kustomization.yaml"))
        {
            var yaml = File.ReadAllText(file);
            var objects = KubernetesYaml.LoadAllFromString(yaml, typeMap: null, strict: true);
            foreach (var item in objects)
            {
                var kubernetesObject = Assert.IsAssignableFrom<IKubernetesObject<V1ObjectMeta>>(item);
                Assert.False(string.IsNullOrEmpty(kubernetesObject.Metadata.Name), $"An object in {file} has no name.");
                kinds.Add(kubernetesObject.Kind);
            }

            Assert.Equal(yaml, string.Join("---\n", objects.Select(o => KubernetesYaml.Serialize(o).TrimEnd('\n') + "\n")));
        }

        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "CustomResourceDefinition", "DaemonSet", "Deployment", "Job", "Role", "RoleBinding", "Secret", "Service", "ServiceAccount", "StatefulSet"],
            kinds.Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Helm_lints_the_chart_strictly_and_renders_it_with_the_defaults_and_with_an_override_file()
    {
        var helm = KubernetesTools.Helm;
        var chart = Path.Combine(app.Output, "chart");
        // The object stores' token is the one value without a default, as every secret of the chart.
        await KubernetesTools.RunAsync(helm, "lint", "--strict", chart, "--set", TokenValue);

        var defaults = await KubernetesTools.RunAsync(helm, "template", "fluid", chart, "--include-crds", "--set", TokenValue);
        Assert.NotEmpty(PublishedApp.CanonicalObjects(defaults));

        using var directory = new TemporaryDirectory();
        var overrides = directory.CreateFile("values.cluster.yaml");
        File.WriteAllText(overrides,
            """
            parameters:
              fluid_etcd:
                replicas: 3
                storageClass: fast-ssd
                storageSize: 8Gi
              fluid_controller:
                image: registry.example.com/fluid-aspire/controller
                tag: "1.2.3"
              fluid_objectstore:
                memoryMiB: 8192
                nodeSelector:
                  node-role.example.com/data: "true"
                tolerations:
                - key: dedicated
                  operator: Equal
                  value: data
                  effect: NoSchedule
            """);
        var customized = PublishedApp.CanonicalObjects(await KubernetesTools.RunAsync(helm, "template", "fluid", chart, "--include-crds", "-f", overrides, "--set", TokenValue));
        var objects = customized.Select(json => System.Text.Json.JsonDocument.Parse(json).RootElement).ToList();

        var etcd = Single<V1StatefulSet>(objects, "fluid-etcd");
        Assert.Equal(3, etcd.Spec.Replicas);
        Assert.Equal("fast-ssd", etcd.Spec.VolumeClaimTemplates.Single().Spec.StorageClassName);
        Assert.Equal("8Gi", etcd.Spec.VolumeClaimTemplates.Single().Spec.Resources.Requests["storage"].ToString());
        Assert.Equal(
            "fluid-etcd-0=http://fluid-etcd-0.fluid-etcd-peer:2380,fluid-etcd-1=http://fluid-etcd-1.fluid-etcd-peer:2380,fluid-etcd-2=http://fluid-etcd-2.fluid-etcd-peer:2380",
            etcd.Spec.Template.Spec.Containers[0].Env.Single(e => e.Name == "ETCD_INITIAL_CLUSTER").Value);

        var controller = Single<V1Deployment>(objects, "fluid-controller");
        Assert.Equal("registry.example.com/fluid-aspire/controller:1.2.3", controller.Spec.Template.Spec.Containers[0].Image);

        var store = Single<V1DaemonSet>(objects, "fluid-objectstore").Spec.Template.Spec;
        Assert.Equal("true", store.NodeSelector["node-role.example.com/data"]);
        Assert.Equal("dedicated", store.Tolerations.Single().Key);
        Assert.Equal("8192Mi", store.Containers[0].Env.Single(e => e.Name == "Fluid__ObjectStore__Size").Value);
        // The arena counts against the container's memory, so the limit grows with it.
        Assert.Equal("8704Mi", store.Containers[0].Resources.Limits["memory"].ToString());
    }

    [Fact]
    public async Task Helm_with_the_default_values_renders_exactly_the_plain_manifests()
    {
        // The manifests hold a placeholder where the chart takes the token from the values.
        var placeholder = KubernetesYaml.Deserialize<V1Secret>(
            File.ReadAllText(Path.Combine(app.Output, "manifests", "fluid-objectstore", "secret.yaml")), strict: true).StringData["token"];
        var rendered = await KubernetesTools.RunAsync(KubernetesTools.Helm, "template", "fluid", Path.Combine(app.Output, "chart"), "--include-crds",
            "--set-string", $"secrets.fluid.objectStoreToken={placeholder}");
        var manifests = string.Join("\n---\n", Directory.EnumerateFiles(Path.Combine(app.Output, "manifests"), "*.yaml", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .Order(StringComparer.Ordinal)
            .Select(File.ReadAllText));

        Assert.Equal(PublishedApp.CanonicalObjects(manifests), PublishedApp.CanonicalObjects(rendered));
    }

    [Fact]
    public async Task The_object_stores_token_is_a_secret_given_at_install_and_mounted_into_the_daemons_and_the_controller()
    {
        var chart = Path.Combine(app.Output, "chart");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => KubernetesTools.RunAsync(KubernetesTools.Helm, "template", "fluid", chart));
        Assert.Contains("set secrets.fluid.objectStoreToken in your values", refused.Message, StringComparison.Ordinal);

        var objects = PublishedApp.CanonicalObjects(await KubernetesTools.RunAsync(KubernetesTools.Helm, "template", "fluid", chart, "--set", TokenValue))
            .Select(json => System.Text.Json.JsonDocument.Parse(json).RootElement).ToList();

        Assert.Equal(TokenValue[(TokenValue.IndexOf('=') + 1)..], Single<V1Secret>(objects, "fluid-objectstore-token").StringData["token"]);
        foreach (var pod in new[] { Single<V1DaemonSet>(objects, "fluid-objectstore").Spec.Template.Spec, Single<V1Deployment>(objects, "fluid-controller").Spec.Template.Spec })
        {
            var volume = pod.Volumes.Single(v => v.Secret?.SecretName == "fluid-objectstore-token");
            Assert.Equal(Convert.ToInt32("440", 8), volume.Secret.DefaultMode);
            var container = pod.Containers[0];
            var mount = container.VolumeMounts.Single(m => m.Name == volume.Name);
            Assert.True(mount.ReadOnlyProperty);
            Assert.Equal($"{mount.MountPath}/token", container.Env.Single(e => e.Name == "Fluid__ObjectStore__TokenFile").Value);
        }
    }

    [Fact]
    public async Task Kustomize_builds_the_manifests_into_the_namespace_its_file_names()
    {
        using var directory = new TemporaryDirectory();
        var manifests = Path.Combine(directory.Path, "manifests");
        foreach (var (file, text) in PublishedApp.Files(Path.Combine(app.Output, "manifests")))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(manifests, file))!);
            File.WriteAllText(Path.Combine(manifests, file), file == "kustomization.yaml" ? text.Replace("namespace: default", "namespace: team-a", StringComparison.Ordinal) : text);
        }

        var built = KubernetesYaml.LoadAllFromString(await KubernetesTools.RunAsync(KubernetesTools.Kubectl, "kustomize", manifests), typeMap: null, strict: true)
            .Cast<IKubernetesObject<V1ObjectMeta>>().ToList();

        var clusterScoped = new[] { "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding" };
        Assert.All(built.Where(o => !clusterScoped.Contains(o.Kind)), o => Assert.Equal("team-a", o.Metadata.NamespaceProperty));
        Assert.All(built.Where(o => clusterScoped.Contains(o.Kind)), o => Assert.Null(o.Metadata.NamespaceProperty));
        // Every account (the controller's, the daemons') is bound where it now lives.
        Assert.Equal("team-a", built.OfType<V1ClusterRoleBinding>().Single().Subjects.Single().NamespaceProperty);
        Assert.Equal(3, built.OfType<V1RoleBinding>().Count());
        Assert.All(built.OfType<V1RoleBinding>(), binding => Assert.Equal("team-a", binding.Subjects.Single().NamespaceProperty));
    }

    [Fact]
    public void Rbac_rules_are_exactly_the_declared_permissions_and_hold_no_wildcard()
    {
        var directory = Path.Combine(app.Output, "manifests", "fluid-controller");
        var clusterRole = KubernetesYaml.Deserialize<V1ClusterRole>(File.ReadAllText(Path.Combine(directory, "clusterrole.yaml")), strict: true);
        var role = KubernetesYaml.Deserialize<V1Role>(File.ReadAllText(Path.Combine(directory, "role.yaml")), strict: true);

        Assert.Equal(Declared(PermissionScope.Cluster), Granted(clusterRole.Rules));
        Assert.Equal(Declared(PermissionScope.Namespace), Granted(role.Rules));

        var everyRule = Directory.EnumerateFiles(Path.Combine(app.Output, "manifests"), "*role*.yaml", SearchOption.AllDirectories)
            .SelectMany(f => KubernetesYaml.LoadAllFromString(File.ReadAllText(f), typeMap: null, strict: true))
            .SelectMany(o => o switch { V1ClusterRole c => c.Rules, V1Role r => r.Rules, _ => [] })
            .ToList();
        Assert.NotEmpty(everyRule);
        Assert.DoesNotContain(everyRule, rule =>
            rule.Verbs.Contains("*") || rule.Resources.Contains("*") || rule.ApiGroups.Contains("*") || (rule.ResourceNames?.Contains("*") ?? false));

        // The daemons call the API only for their member Lease: a Role in the namespace, nothing cluster-wide.
        foreach (var (daemon, permissions) in new[] { ("fluid-objectstore", ComponentPermissions.ObjectStore), ("fluid-cacheagent", ComponentPermissions.CacheAgent) })
        {
            var daemonRole = KubernetesYaml.Deserialize<V1Role>(File.ReadAllText(Path.Combine(app.Output, "manifests", daemon, "role.yaml")), strict: true);
            Assert.Equal(Declared(PermissionScope.Namespace, permissions), Granted(daemonRole.Rules));
            Assert.Empty(Declared(PermissionScope.Cluster, permissions));
            Assert.False(File.Exists(Path.Combine(app.Output, "manifests", daemon, "clusterrole.yaml")));
            var pod = KubernetesYaml.Deserialize<V1DaemonSet>(File.ReadAllText(Path.Combine(app.Output, "manifests", daemon, "daemonset.yaml")), strict: true).Spec.Template.Spec;
            Assert.Equal(daemon, pod.ServiceAccountName);
            Assert.True(pod.AutomountServiceAccountToken);
        }

        static SortedSet<string> Declared(PermissionScope scope, IReadOnlyList<PermissionRule>? permissions = null) =>
            new((permissions ?? ComponentPermissions.Controller).Where(p => p.Scope == scope).SelectMany(p => p.Verbs.Select(v => $"{p.ApiGroup}|{p.Resource}|{v}")), StringComparer.Ordinal);

        static SortedSet<string> Granted(IEnumerable<V1PolicyRule> rules) =>
            new(rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => $"{g}|{res}|{v}")))), StringComparer.Ordinal);
    }

    [Fact]
    public void Services_reach_etcd_and_the_controller_through_Service_names_never_loopback()
    {
        var manifests = PublishedApp.Files(Path.Combine(app.Output, "manifests"));
        Assert.DoesNotContain(manifests, file => file.Value.Contains("127.0.0.1", StringComparison.Ordinal) || file.Value.Contains("localhost", StringComparison.Ordinal));
        Assert.DoesNotContain(manifests, file => file.Value.Contains(RepositoryPaths.Root, StringComparison.Ordinal));

        var job = KubernetesYaml.Deserialize<V1ConfigMap>(manifests["linear-regression/configmap.yaml"], strict: true);
        Assert.Equal("Endpoints=http://fluid-etcd:2379;Prefix=/fluid;Controller=http://fluid-controller:8080", job.Data["ConnectionStrings__fluid"]);
        var etcdService = KubernetesYaml.LoadAllFromString(manifests["fluid-etcd/service.yaml"], typeMap: null, strict: true).Cast<V1Service>().ToList();
        Assert.Contains(etcdService, s => s.Metadata.Name == "fluid-etcd" && s.Spec.Ports.Single().Port == 2379);
        Assert.Contains(etcdService, s => s.Metadata.Name == "fluid-etcd-peer" && s.Spec.ClusterIP == "None" && s.Spec.PublishNotReadyAddresses == true);
    }

    [Fact]
    public void Values_hold_the_parameters_config_and_secrets_sections_and_the_images_match_the_projects_container_settings()
    {
        var values = new YamlStream();
        values.Load(new StringReader(File.ReadAllText(Path.Combine(app.Output, "chart", "values.yaml"))));
        var root = (YamlMappingNode)values.Documents[0].RootNode;
        Assert.Equal(["parameters", "config", "secrets"], root.Children.Keys.Select(k => k.ToString()));
        // The one secret is the object stores' token, which has no value until given at install.
        var secret = Assert.Single((YamlMappingNode)root["secrets"]);
        Assert.Equal(("fluid", "objectStoreToken", ""), (secret.Key.ToString(), Assert.Single((YamlMappingNode)secret.Value).Key.ToString(), ((YamlMappingNode)secret.Value)["objectStoreToken"].ToString()));

        var parameters = (YamlMappingNode)root["parameters"];
        foreach (var (key, project) in new[]
        {
            ("fluid_controller", "src/Controller/Fluid.Aspire.Controller.csproj"),
            ("fluid_objectstore", "src/ObjectStore/Fluid.Aspire.ObjectStore.csproj"),
            ("fluid_cacheagent", "src/CacheAgent/Fluid.Aspire.CacheAgent.csproj"),
            ("linear_regression", "samples/LinearRegression/Fluid.Aspire.Samples.LinearRegression.csproj"),
        })
        {
            var image = (YamlMappingNode)parameters[key];
            var (repository, tag) = ContainerSettings.Read(Path.Combine(RepositoryPaths.Root, project));
            Assert.Equal(repository, image["image"].ToString());
            Assert.Equal(tag, image["tag"].ToString());
        }
    }

    private static T Single<T>(List<System.Text.Json.JsonElement> objects, string name)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = typeof(T).Name[2..];
        var match = objects.Single(o => o.GetProperty("kind").GetString() == kind && o.GetProperty("metadata").GetProperty("name").GetString() == name);
        return KubernetesJson.Deserialize<T>(match.GetRawText());
    }
}

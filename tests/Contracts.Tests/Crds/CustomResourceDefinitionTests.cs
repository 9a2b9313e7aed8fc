using Fluid.Aspire.Contracts.Schema;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Tests.Crds;

public sealed class CustomResourceDefinitionTests
{
    public static TheoryData<string> CustomKinds => [.. ResourceKinds.All.Select(k => k.Kind)];

    [Fact]
    public void Every_kind_gets_a_CRD_in_registry_order_and_Event_does_not()
    {
        Assert.Equal(
            ["datasets.data.fluid-aspire.io", "objectstoreruntimes.data.fluid-aspire.io", "cacheruntimes.data.fluid-aspire.io", "dataprocesses.data.fluid-aspire.io"],
            CustomResourceDefinitions.All.Select(crd => crd.Metadata.Name));
        Assert.DoesNotContain(CustomResourceDefinitions.All, crd => crd.Spec.Names.Kind == "Event");
    }

    [Theory]
    [MemberData(nameof(CustomKinds))]
    public void A_CRD_names_its_kind_and_serves_one_version_with_a_status_subresource_and_the_kinds_columns(string kindName)
    {
        var kind = ResourceKinds.GetByKind(kindName);

        var crd = CustomResourceDefinitions.For(kind);

        Assert.Equal(("apiextensions.k8s.io/v1", "CustomResourceDefinition"), (crd.ApiVersion, crd.Kind));
        Assert.Equal(("data.fluid-aspire.io", "Namespaced"), (crd.Spec.Group, crd.Spec.Scope));
        var names = crd.Spec.Names;
        Assert.Equal((kind.Plural, kind.Singular, kind.Kind), (names.Plural, names.Singular, names.Kind));
        Assert.Equal(kind.ShortNames, names.ShortNames);
        Assert.Equal(["fluid"], names.Categories);
        var version = Assert.Single(crd.Spec.Versions);
        Assert.Equal(("v1alpha1", true, true), (version.Name, version.Served, version.Storage));
        Assert.NotNull(version.Subresources.Status);
        Assert.Equal(
            kind.PrinterColumns.Select(c => (c.Name, c.Type, c.JsonPath, c.Priority)),
            version.AdditionalPrinterColumns.Select(c => (c.Name, c.Type, c.JsonPath, c.Priority)));
        Assert.All(version.AdditionalPrinterColumns, c => Assert.False(string.IsNullOrWhiteSpace(c.Description), $"{c.Name} has no description"));
        Assert.Equal("Age", version.AdditionalPrinterColumns[^1].Name);
    }

    [Theory]
    [MemberData(nameof(CustomKinds))]
    public void The_schema_is_structural(string kindName)
    {
        var schema = CustomResourceDefinitions.For(ResourceKinds.GetByKind(kindName)).Spec.Versions[0].Schema.OpenAPIV3Schema;

        Assert.Empty(StructuralSchema.Problems(schema));
    }

    [Theory]
    [MemberData(nameof(CustomKinds))]
    public void A_CRD_round_trips_through_KubernetesYaml_unchanged_and_is_the_same_every_time(string kindName)
    {
        var kind = ResourceKinds.GetByKind(kindName);
        var yaml = KubernetesYaml.Serialize(CustomResourceDefinitions.For(kind));

        var read = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(yaml, strict: true);

        Assert.Equal(yaml, KubernetesYaml.Serialize(read));
        Assert.Equal(yaml, KubernetesYaml.Serialize(CustomResourceDefinitions.For(kind)));
    }

    [Fact]
    public void The_schema_follows_the_JSON_contract_with_descriptions_from_the_XML_documentation()
    {
        var root = CustomResourceDefinitions.For(ResourceKinds.ObjectStoreRuntime).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var spec = root.Properties["spec"];
        var level = (V1JSONSchemaProps)spec.Properties["tieredstore"].Properties["levels"].Items;

        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], root.Properties.Keys);
        Assert.Equal(["mediumtype", "path", "quota", "high", "low"], level.Properties.Keys);
        Assert.Equal(["MEM", "SSD", "HDD"], level.Properties["mediumtype"].EnumProperty);
        Assert.Equal(("integer", "int32", 1.0), (spec.Properties["replicas"].Type, spec.Properties["replicas"].Format, spec.Properties["replicas"].Minimum));
        Assert.Equal("How many workers to run; at least 1.", spec.Properties["replicas"].Description);
        Assert.StartsWith("The cache of a dataset, served by this project's object store", root.Description, StringComparison.Ordinal);
        Assert.True(level.Properties["quota"].XKubernetesIntOrString);
        Assert.Null(level.Properties["quota"].Type);
        Assert.Equal("string", level.Properties["high"].Type);
        Assert.Equal(["mediumtype", "quota"], level.Required);

        var status = CustomResourceDefinitions.For(ResourceKinds.DataProcess).Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"];
        Assert.Equal(("string", null), (status.Properties["duration"].Type, status.Properties["duration"].Format));
        Assert.Equal(("string", "date-time"), (status.Properties["lastScheduleTime"].Type, status.Properties["lastScheduleTime"].Format));
        Assert.Equal("object", status.Properties["infos"].Type);
        Assert.Equal("string", ((V1JSONSchemaProps)status.Properties["infos"].AdditionalProperties).Type);
    }

    [Fact]
    public void A_spec_with_required_fields_is_required_and_list_maps_need_required_keys()
    {
        var dataset = CustomResourceDefinitions.For(ResourceKinds.Dataset).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var runtime = CustomResourceDefinitions.For(ResourceKinds.ObjectStoreRuntime).Spec.Versions[0].Schema.OpenAPIV3Schema;
        var mounts = dataset.Properties["spec"].Properties["mounts"];
        var levels = runtime.Properties["spec"].Properties["tieredstore"].Properties["levels"];

        Assert.Equal(["spec"], dataset.Required);
        Assert.Null(runtime.Required);
        Assert.Null(mounts.XKubernetesListType);
        Assert.Equal(("map", "mediumtype", 3L), (levels.XKubernetesListType, Assert.Single(levels.XKubernetesListMapKeys), levels.MaxItems));
    }
}

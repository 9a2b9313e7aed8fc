using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class ResourceKindsTests
{
    [Fact]
    public void The_registry_lists_each_kind_with_its_plural_and_class()
    {
        Assert.Equal(
            [
                ("data.fluid-aspire.io/v1alpha1", "Dataset", "datasets", typeof(Dataset)),
                ("data.fluid-aspire.io/v1alpha1", "ObjectStoreRuntime", "objectstoreruntimes", typeof(ObjectStoreRuntime)),
                ("data.fluid-aspire.io/v1alpha1", "CacheRuntime", "cacheruntimes", typeof(CacheRuntime)),
                ("data.fluid-aspire.io/v1alpha1", "DataProcess", "dataprocesses", typeof(DataProcess)),
            ],
            ResourceKinds.All.Select(k => (k.ApiVersion, k.Kind, k.Plural, k.Type)));
    }

    [Fact]
    public void Kinds_are_found_by_kind_plural_and_class()
    {
        Assert.Same(ResourceKinds.Dataset, ResourceKinds.FindByKind("Dataset"));
        Assert.Same(ResourceKinds.DataProcess, ResourceKinds.FindByPlural("dataprocesses"));
        Assert.Same(ResourceKinds.ObjectStoreRuntime, ResourceKinds.Of<ObjectStoreRuntime>());
        Assert.Throws<KeyNotFoundException>(() => ResourceKinds.Of(typeof(k8s.Models.Corev1Event)));
        Assert.Null(ResourceKinds.FindByKind("dataset"));
        Assert.Null(ResourceKinds.FindByPlural("Datasets"));
    }

    [Fact]
    public void An_unknown_kind_or_plural_is_refused_with_the_known_ones()
    {
        var byKind = Assert.Throws<KeyNotFoundException>(() => ResourceKinds.GetByKind("DataLoad"));
        var byPlural = Assert.Throws<KeyNotFoundException>(() => ResourceKinds.GetByPlural("dataloads"));

        Assert.Contains("use one of Dataset, ObjectStoreRuntime, CacheRuntime, DataProcess", byKind.Message, StringComparison.Ordinal);
        Assert.Contains("use one of datasets, objectstoreruntimes, cacheruntimes, dataprocesses", byPlural.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dataset")]
    [InlineData("ObjectStoreRuntime")]
    [InlineData("CacheRuntime")]
    [InlineData("DataProcess")]
    public void The_factory_makes_an_empty_object_of_the_kind(string kind)
    {
        var registered = ResourceKinds.GetByKind(kind);

        var empty = ResourceKinds.Create(kind);

        Assert.IsType(registered.Type, empty);
        Assert.Equal(registered.ApiVersion, empty.ApiVersion);
        Assert.Equal(kind, empty.Kind);
        Assert.Equal("default", empty.Metadata.NamespaceProperty);
        Assert.NotSame(empty, registered.CreateEmpty());
    }

    [Fact]
    public void Only_DataProcess_is_an_operation_and_every_kind_is_of_the_projects_group()
    {
        Assert.Equal([ResourceKinds.DataProcess], ResourceKinds.Operations);
        Assert.All(ResourceKinds.All, k => Assert.Equal("data.fluid-aspire.io", k.Group));
        Assert.Equal("objectstoreruntime", ResourceKinds.ObjectStoreRuntime.Singular);
    }

    [Fact]
    public void Kinds_have_the_fluid_category_and_no_two_kinds_answer_to_one_name()
    {
        var names = ResourceKinds.All.SelectMany(k => k.ShortNames.Append(k.Plural).Append(k.Singular)).ToList();

        Assert.All(ResourceKinds.All, k => Assert.Equal([ResourceKinds.Category], k.Categories));
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(["ds", "osr", "cr", "dp"], ResourceKinds.All.Select(k => k.ShortNames.Single()));
    }

    [Fact]
    public void Every_class_derived_from_Resource_is_registered()
    {
        var classes = typeof(Resource).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(Resource)) && !t.IsAbstract);

        Assert.Equal(classes.OrderBy(t => t.Name), ResourceKinds.All.Select(k => k.Type).OrderBy(t => t.Name));
    }

    [Fact]
    public void An_operation_is_seen_through_its_shared_parts()
    {
        IOperation operation = Samples.Process();

        Assert.Equal("DataProcess", operation.Kind);
        Assert.Equal(600, operation.Spec.TtlSecondsAfterFinished);
        Assert.Equal(OperationPhase.Complete, operation.Status.Phase);
    }
}

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
                ("data.fluid-aspire.io/v1alpha1", "DataProcess", "dataprocesses", typeof(DataProcess)),
                ("v1", "Event", "events", typeof(Event)),
            ],
            ResourceKinds.All.Select(k => (k.ApiVersion, k.Kind, k.Plural, k.Type)));
    }

    [Fact]
    public void Kinds_are_found_by_kind_plural_and_class()
    {
        Assert.Same(ResourceKinds.Dataset, ResourceKinds.FindByKind("Dataset"));
        Assert.Same(ResourceKinds.DataProcess, ResourceKinds.FindByPlural("dataprocesses"));
        Assert.Same(ResourceKinds.ObjectStoreRuntime, ResourceKinds.Of<ObjectStoreRuntime>());
        Assert.Same(ResourceKinds.Event, ResourceKinds.Of(Samples.Event().GetType()));
        Assert.Null(ResourceKinds.FindByKind("dataset"));
        Assert.Null(ResourceKinds.FindByPlural("Datasets"));
    }

    [Fact]
    public void An_unknown_kind_or_plural_is_refused_with_the_known_ones()
    {
        var byKind = Assert.Throws<KeyNotFoundException>(() => ResourceKinds.GetByKind("DataLoad"));
        var byPlural = Assert.Throws<KeyNotFoundException>(() => ResourceKinds.GetByPlural("dataloads"));

        Assert.Contains("use one of Dataset, ObjectStoreRuntime, DataProcess, Event", byKind.Message, StringComparison.Ordinal);
        Assert.Contains("use one of datasets, objectstoreruntimes, dataprocesses, events", byPlural.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Dataset")]
    [InlineData("ObjectStoreRuntime")]
    [InlineData("DataProcess")]
    [InlineData("Event")]
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
    public void Only_DataProcess_is_an_operation_and_only_Event_is_not_custom()
    {
        Assert.Equal([ResourceKinds.DataProcess], ResourceKinds.Operations);
        Assert.Equal(["Dataset", "ObjectStoreRuntime", "DataProcess"], ResourceKinds.All.Where(k => k.IsCustom).Select(k => k.Kind));
        Assert.Equal("", ResourceKinds.Event.Group);
        Assert.Equal("data.fluid-aspire.io", ResourceKinds.Dataset.Group);
        Assert.Equal("objectstoreruntime", ResourceKinds.ObjectStoreRuntime.Singular);
    }

    [Fact]
    public void Custom_kinds_have_the_fluid_category_and_no_two_kinds_answer_to_one_name()
    {
        var names = ResourceKinds.All.SelectMany(k => k.ShortNames.Append(k.Plural).Append(k.Singular)).ToList();

        Assert.All(ResourceKinds.All.Where(k => k.IsCustom), k => Assert.Equal([ResourceKinds.Category], k.Categories));
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(["ds", "osr", "dp"], ResourceKinds.All.Where(k => k.IsCustom).Select(k => k.ShortNames.Single()));
        Assert.Empty(ResourceKinds.Event.PrinterColumns);
    }

    [Fact]
    public void Names_of_every_kind_are_labels_but_events_are_subdomains()
    {
        Assert.Equal(NameFormat.DnsSubdomain, ResourceKinds.Event.NameFormat);
        Assert.All(ResourceKinds.All.Where(k => k != ResourceKinds.Event), k => Assert.Equal(NameFormat.DnsLabel, k.NameFormat));
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

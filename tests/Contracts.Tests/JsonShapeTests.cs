using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class JsonShapeTests
{
    public static TheoryData<string> Kinds => [.. ResourceKinds.All.Select(k => k.Kind)];

    private static Resource Sample(string kind) => Samples.All().Single(r => r.Kind == kind);

    private static JsonNode Json(Resource resource) => JsonNode.Parse(ResourceJson.Serialize(resource))!;

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_round_trips_through_JSON_unchanged(string kind)
    {
        var original = Sample(kind);
        var json = ResourceJson.Serialize(original);

        var read = ResourceJson.Deserialize(json);

        Assert.IsType(original.GetType(), read);
        Assert.Equal(json, ResourceJson.Serialize(read));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_kind_reads_back_through_its_own_type(string kind)
    {
        var original = Sample(kind);
        var json = ResourceJson.Serialize(original);

        var read = (Resource)JsonSerializer.Deserialize(json, original.GetType(), ResourceJson.Options)!;

        Assert.Equal(json, ResourceJson.Serialize(read));
    }

    [Fact]
    public void A_resource_starts_with_apiVersion_kind_metadata_and_ends_with_spec_and_status()
    {
        var names = Json(Samples.Dataset()).AsObject().Select(p => p.Key).ToList();

        Assert.Equal(["apiVersion", "kind", "metadata", "spec", "status"], names);
    }

    [Fact]
    public void A_dataset_has_Kubernetes_names_and_enum_strings()
    {
        var json = Json(Samples.Dataset());

        Assert.Equal("data.fluid-aspire.io/v1alpha1", (string?)json["apiVersion"]);
        Assert.Equal("Dataset", (string?)json["kind"]);
        Assert.Equal("2025-03-04T05:06:07Z", (string?)json["metadata"]!["creationTimestamp"]);
        Assert.Equal(3, (long?)json["metadata"]!["generation"]);
        Assert.Equal("housing", (string?)json["metadata"]!["labels"]!["app.kubernetes.io/part-of"]);
        var mount = json["spec"]!["mounts"]![0]!;
        Assert.Equal("s3://bucket/housing", (string?)mount["mountPoint"]);
        Assert.Equal("eu-west-1", (string?)mount["options"]!["aws.region"]);
        Assert.Equal("s3-credentials", (string?)mount["encryptOptions"]![0]!["valueFrom"]!["secretKeyRef"]!["name"]);
        var requirement = json["spec"]!["nodeAffinity"]!["required"]!["nodeSelectorTerms"]![0]!["matchExpressions"]![0]!;
        Assert.Equal("In", (string?)requirement["operator"]);
        Assert.Equal("Exclusive", (string?)json["spec"]!["placement"]);
        Assert.Equal("ReadOnlyMany", (string?)json["spec"]!["accessModes"]![0]);
        Assert.Equal("Bound", (string?)json["status"]!["phase"]);
        Assert.Equal("True", (string?)json["status"]!["conditions"]![0]!["status"]);
        Assert.Equal("41.7%", (string?)json["status"]!["cacheStates"]!["cachedPercentage"]);
        Assert.Equal("preprocess", (string?)json["status"]!["operationRef"]!["DataProcess"]);
        Assert.Equal(1200, (long?)json["status"]!["fileNum"]);
    }

    [Fact]
    public void Empty_and_unset_fields_are_left_out_as_omitempty_does()
    {
        var dataset = new Dataset { Metadata = { Name = "empty" }, Spec = { Mounts = { new Mount { MountPoint = "s3://b/p" } } } };

        var json = ResourceJson.Serialize(dataset);

        Assert.Equal(
            """{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","metadata":{"name":"empty","namespace":"default"},"spec":{"mounts":[{"mountPoint":"s3://b/p"}]},"status":{}}""",
            json);
    }

    [Fact]
    public void A_runtime_uses_Fluids_lower_case_tieredstore_and_mediumtype_and_writes_watermarks_as_strings()
    {
        var json = Json(Samples.Runtime());

        var level = json["spec"]!["tieredstore"]!["levels"]![0]!;
        Assert.Equal("MEM", (string?)level["mediumtype"]);
        Assert.Equal("SSD", (string?)json["spec"]!["tieredstore"]!["levels"]![1]!["mediumtype"]);
        Assert.Equal("2Gi", (string?)level["quota"]);
        Assert.Equal(JsonValueKind.String, level["high"]!.GetValueKind());
        Assert.Equal("0.95", (string?)level["high"]);
        Assert.Equal("PartialReady", (string?)json["status"]!["workerPhase"]);
        Assert.Equal(1, (int?)json["status"]!["readyWorkers"]);
    }

    [Fact]
    public void Watermarks_may_be_written_as_numbers_and_are_kept_as_their_text()
    {
        const string Json = """
            {"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"ObjectStoreRuntime","metadata":{"name":"r"},
             "spec":{"tieredstore":{"levels":[{"mediumtype":"MEM","quota":"1Gi","high":0.9,"low":"0.6"}]}}}
            """;

        var runtime = ResourceJson.Deserialize<ObjectStoreRuntime>(Json);

        var level = runtime.Spec.TieredStore!.Levels[0];
        Assert.Equal("0.9", level.High);
        Assert.Equal(0.9, level.HighRatio());
        Assert.Equal(0.6, level.LowRatio());
        Assert.Equal(MediumType.Memory, level.MediumType);
    }

    [Fact]
    public void A_data_process_writes_its_processor_policy_duration_and_scheduling()
    {
        var json = Json(Samples.Process());

        Assert.Equal("python3", (string?)json["spec"]!["processor"]!["command"]!["command"]);
        Assert.Null(json["spec"]!["processor"]!["method"]);
        Assert.Equal("Once", (string?)json["spec"]!["policy"]);
        Assert.Equal("Require", (string?)json["spec"]!["runAfter"]!["affinityStrategy"]!["policy"]);
        Assert.Equal(600, (int?)json["spec"]!["ttlSecondsAfterFinished"]);
        Assert.Equal("500m", (string?)json["spec"]!["resources"]!["requests"]!["cpu"]);
        Assert.Equal("Complete", (string?)json["status"]!["phase"]);
        Assert.Equal("1m30.5s", (string?)json["status"]!["duration"]);
        Assert.Equal(0, (int?)json["status"]!["exitCode"]);
        Assert.Equal(100, (int?)json["status"]!["scheduling"]!["scores"]![0]!["score"]);
        Assert.Contains("\"+100 holds x_train\"", ResourceJson.Serialize(Samples.Process()), StringComparison.Ordinal);
        Assert.Equal("2025-03-04T05:07:38Z", (string?)json["status"]!["lastSuccessfulTime"]);
    }

    [Fact]
    public void Fractional_seconds_and_offsets_survive_as_UTC()
    {
        var dataset = Samples.Dataset();
        dataset.Metadata.CreationTimestamp = new DateTimeOffset(2025, 3, 4, 7, 6, 7, 123, TimeSpan.FromHours(2)).AddTicks(4567).UtcDateTime;

        var json = Json(dataset);
        var read = ResourceJson.Deserialize<Dataset>(json.ToJsonString());

        Assert.Equal("2025-03-04T05:06:07.1234567Z", (string?)json["metadata"]!["creationTimestamp"]);
        Assert.Equal(dataset.Metadata.CreationTimestamp, read.Metadata.CreationTimestamp);
        Assert.Equal(DateTimeKind.Utc, read.Metadata.CreationTimestamp!.Value.Kind);
    }

    [Fact]
    public void Null_for_a_collection_or_status_keeps_the_empty_default()
    {
        const string Json = """{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","metadata":{"name":"d","labels":null},"spec":{"mounts":null},"status":null}""";

        var dataset = ResourceJson.Deserialize<Dataset>(Json);

        Assert.Empty(dataset.Metadata.Labels);
        Assert.Empty(dataset.Spec.Mounts);
        Assert.NotNull(dataset.Status);
        Assert.Equal("default", dataset.Metadata.NamespaceProperty);
    }

    [Fact]
    public void A_Resource_typed_value_is_written_and_read_as_its_kind()
    {
        Resource[] resources = [.. Samples.All()];

        var json = JsonSerializer.Serialize(resources, ResourceJson.Options);
        var read = JsonSerializer.Deserialize<Resource[]>(json, ResourceJson.Options)!;

        Assert.Equal(resources.Select(r => r.GetType()), read.Select(r => r.GetType()));
        Assert.Contains("\"mounts\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","spec":{"placement":"exclusive"}}""", "'exclusive' is not a Placement; use one of Exclusive, Shared")]
    [InlineData("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","spec":{"placement":0}}""", "A Placement is written as a string")]
    [InlineData("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","metadata":{"creationTimestamp":"2025-03-04T05:06:07"}}""", "not an RFC 3339 timestamp")]
    [InlineData("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"DataProcess","status":{"duration":"90 seconds"}}""", "is not a duration")]
    [InlineData("""{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"DataLoad"}""", "The kind 'DataLoad' is not known; use one of Dataset, ObjectStoreRuntime, CacheRuntime, DataProcess")]
    [InlineData("""{"apiVersion":"data.fluid.io/v1alpha1","kind":"Dataset"}""", "change apiVersion to data.fluid-aspire.io/v1alpha1")]
    [InlineData("""{"metadata":{"name":"x"}}""", "has no 'kind'")]
    [InlineData("""[1]""", "A resource is a JSON object")]
    public void Bad_JSON_is_refused_with_what_to_write_instead(string json, string fragment)
    {
        var error = Assert.Throws<JsonException>(() => ResourceJson.Deserialize(json));

        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Field_names_are_case_sensitive_and_strict_reading_refuses_unknown_fields()
    {
        const string Json = """{"apiVersion":"data.fluid-aspire.io/v1alpha1","kind":"Dataset","spec":{"mounts":[{"mountpoint":"s3://b/p"}]}}""";

        var lenient = ResourceJson.Deserialize<Dataset>(Json);
        var error = Assert.Throws<JsonException>(() => ResourceJson.Deserialize(Json, strict: true));

        Assert.Equal("", lenient.Spec.Mounts[0].MountPoint);
        Assert.Contains("mountpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Indented_output_is_available_for_people()
    {
        var json = ResourceJson.Serialize(Samples.Runtime(), indented: true);

        Assert.Contains("\n  \"kind\": \"ObjectStoreRuntime\"", json, StringComparison.Ordinal);
    }
}

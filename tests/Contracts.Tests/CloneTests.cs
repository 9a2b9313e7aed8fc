using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Contracts.Tests;

public sealed class CloneTests
{
    [Fact]
    public void A_cloned_dataset_is_equal_in_content_but_shares_nothing()
    {
        var original = Samples.Dataset();

        var copy = original.Clone();
        copy.Metadata.Labels["tier"] = "silver";
        copy.Metadata.Finalizers.Clear();
        copy.Spec.Mounts[0].Options["aws.region"] = "us-east-1";
        copy.Spec.Mounts[0].EncryptOptions[0].ValueFrom.SecretKeyRef.Key = "other";
        copy.Spec.NodeAffinity!.Required!.NodeSelectorTerms[0].MatchExpressions[0].Values.Add("zone-c");
        copy.Status.Conditions[0].Status = ConditionStatus.False;
        copy.Status.OperationRef.Clear();

        Assert.Equal(ResourceJson.Serialize(Samples.Dataset()), ResourceJson.Serialize(original));
        Assert.NotSame(original.Metadata, copy.Metadata);
    }

    [Fact]
    public void Clone_keeps_the_static_type_of_each_kind()
    {
        Dataset dataset = Samples.Dataset().Clone();
        ObjectStoreRuntime runtime = Samples.Runtime().Clone();
        DataProcess process = Samples.Process().Clone();

        Assert.Equal("housing", dataset.Metadata.Name);
        Assert.Equal(2, runtime.Spec.Replicas);
        Assert.Equal("python3", process.Spec.Processor!.Command!.Command);
    }

    [Fact]
    public void Clone_through_the_base_type_keeps_the_kind_and_every_field()
    {
        foreach (var original in Samples.All())
        {
            var copy = original.Clone();

            Assert.IsType(original.GetType(), copy);
            Assert.NotSame(original, copy);
            Assert.Equal(ResourceJson.Serialize(original), ResourceJson.Serialize(copy));
        }
    }

    [Fact]
    public void Clone_keeps_sub_second_timestamps_and_durations_exactly()
    {
        var process = Samples.Process();
        process.Status.LastScheduleTime = DateTimeOffset.UtcNow;
        process.Status.Duration = TimeSpan.FromTicks(123_456_789);

        var copy = process.Clone();

        Assert.Equal(process.Status.LastScheduleTime, copy.Status.LastScheduleTime);
        Assert.Equal(process.Status.Duration, copy.Status.Duration);
    }

    [Fact]
    public void Changing_a_clone_of_an_operation_leaves_the_cached_original_alone()
    {
        var cached = Samples.Process();

        var working = cached.Clone();
        working.Status.Phase = OperationPhase.Failed;
        working.Status.Scheduling!.Scores[0].Reasons.Add("changed");
        working.Spec.Inputs.Add("x_test");
        working.Spec.Processor!.Command!.Env["EXTRA"] = "1";

        Assert.Equal(OperationPhase.Complete, cached.Status.Phase);
        Assert.Single(cached.Status.Scheduling!.Scores[0].Reasons);
        Assert.Equal(["x_train", "y_train"], cached.Spec.Inputs);
        Assert.Single(cached.Spec.Processor!.Command!.Env);
    }

    [Fact]
    public void Parts_of_the_model_can_be_cloned_alone()
    {
        var meta = Samples.Dataset().Metadata;

        var copy = ResourceJson.Clone(meta);
        copy.Annotations.Clear();

        Assert.Single(meta.Annotations);
        Assert.Equal(meta.Uid, copy.Uid);
    }
}

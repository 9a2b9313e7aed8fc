using k8s.Models;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Runtimes;

namespace Fluid.Aspire.Contracts.Tests;

/// <summary>A valid, fully populated object of each kind; tests change one thing at a time.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Created = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    public static Dataset Dataset() => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = "housing",
            NamespaceProperty = "ml",
            Labels = new Dictionary<string, string> { ["app.kubernetes.io/part-of"] = "housing", ["tier"] = "gold" },
            Annotations = new Dictionary<string, string> { ["example.com/owner"] = "data team" },
            Uid = "6f1d3f52-0d8e-4b43-9f0c-1f7e5f0d2a11",
            ResourceVersion = "42",
            Generation = 3,
            CreationTimestamp = Created.UtcDateTime,
            Finalizers = ["data.fluid-aspire.io/controller"],
        },
        Spec = new DatasetSpec
        {
            Mounts =
            {
                new Mount
                {
                    MountPoint = "s3://bucket/housing",
                    Name = "sales",
                    Options = { ["aws.region"] = "eu-west-1" },
                    EncryptOptions =
                    {
                        new EncryptOption
                        {
                            Name = "aws.secretKey",
                            ValueFrom = new EncryptOptionSource { SecretKeyRef = new SecretKeySelector { Name = "s3-credentials", Key = "secretKey" } },
                        },
                    },
                },
                new Mount { MountPoint = "local:///mnt/data/stock", Name = "stock", ReadOnly = true },
                new Mount { MountPoint = "objectstore://housing/", Path = "/objects", Shared = true },
            },
            NodeAffinity = new NodeAffinity
            {
                Required = new V1NodeSelector
                {
                    NodeSelectorTerms = [NodeSelectors.Term(NodeSelectors.Requirement("topology.kubernetes.io/zone", NodeSelectorOperators.In, "zone-a", "zone-b"))],
                },
            },
            Placement = Placement.Exclusive,
            AccessModes = { AccessMode.ReadOnlyMany },
        },
        Status = new DatasetStatus
        {
            Phase = DatasetPhase.Bound,
            Conditions = { new Condition { Type = "Ready", Status = ConditionStatus.True, Reason = "RuntimeBound", LastTransitionTime = Created, ObservedGeneration = 3 } },
            UfsTotal = "1.2GiB",
            FileNum = 1200,
            CacheStates = new CacheStates { Cached = "512MiB", CacheCapacity = "2GiB", CachedPercentage = "41.7%" },
            Runtimes = { new RuntimeReference { Name = "housing", Namespace = "ml", Category = RuntimeReference.AccelerateCategory, Type = "objectstore" } },
            OperationRef = { ["DataProcess"] = "preprocess" },
        },
    };

    public static ObjectStoreRuntime Runtime() => new()
    {
        Metadata = new V1ObjectMeta { Name = "housing", NamespaceProperty = "ml" },
        Spec = new ObjectStoreRuntimeSpec
        {
            Replicas = 2,
            TieredStore = new TieredStore
            {
                Levels =
                {
                    new TieredStoreLevel { MediumType = MediumType.Memory, Quota = "2Gi", High = "0.95", Low = "0.7" },
                    new TieredStoreLevel { MediumType = MediumType.Ssd, Path = "/mnt/ssd1,/mnt/ssd2", Quota = "100Gi" },
                },
            },
            Worker = new WorkerSpec { NodeSelector = { ["fluid.io/node"] = "node-1" }, Options = { ["reserve-memory"] = "true" } },
        },
        Status = new ObjectStoreRuntimeStatus
        {
            Phase = RuntimePhase.PartialReady,
            DesiredWorkers = 2,
            CurrentWorkers = 2,
            ReadyWorkers = 1,
            WorkerPhase = RuntimePhase.PartialReady,
            Workers = { new ObjectStoreWorkerStatus { Node = "node-1", Instance = 3, MemoryUsed = 1024, MemoryCapacity = 2048 } },
            MemoryUsed = 1024,
            MemoryCapacity = 4096,
        },
    };

    public static CacheRuntime CacheRuntime() => new()
    {
        Metadata = new V1ObjectMeta { Name = "sales", NamespaceProperty = "ml" },
        Spec = new CacheRuntimeSpec
        {
            Replicas = 2,
            TieredStore = new TieredStore { Levels = { new TieredStoreLevel { MediumType = MediumType.Memory, Quota = "1Gi" } } },
            Worker = new WorkerSpec { NodeSelector = { ["fluid.io/node-pool"] = "cache" } },
        },
        Status = new CacheRuntimeStatus
        {
            Phase = RuntimePhase.Ready,
            DesiredWorkers = 2,
            CurrentWorkers = 2,
            ReadyWorkers = 2,
            WorkerPhase = RuntimePhase.Ready,
            Workers =
            {
                new CacheWorkerStatus
                {
                    Node = "node-0", Ready = true, Cached = 4096, CacheCapacity = 1 << 30, UfsTotal = 8192, FileNum = 2,
                    ListedAt = Created.UtcDateTime, BytesRead = 8192, BytesFetched = 4096,
                },
            },
            Cached = 4096,
            CacheCapacity = 2L << 30,
            UfsTotal = 8192,
            FileNum = 2,
            ListedAt = Created.UtcDateTime,
            BytesRead = 8192,
            BytesFetched = 4096,
            ObservedAt = Created.UtcDateTime,
        },
    };

    public static DataProcess Process() => new()
    {
        Metadata = new V1ObjectMeta { Name = "train", NamespaceProperty = "ml", Labels = new Dictionary<string, string> { ["fluid.io/run"] = "run-1" } },
        Spec = new DataProcessSpec
        {
            Dataset = new DatasetReference { Name = "housing", Namespace = "ml", MountPath = "/data", SubPath = "raw/2025" },
            Processor = new ProcessorSpec
            {
                Command = new CommandProcessor { Command = "python3", Args = { "train.py", "--epochs", "3" }, Env = { ["DATA_DIR"] = "/data" }, WorkingDir = "/work" },
            },
            Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("500m"), ["memory"] = new("4Gi") },
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("8Gi") },
            },
            Inputs = { "x_train", "y_train" },
            TimeoutSeconds = 3600,
            Policy = OperationPolicy.Once,
            RunAfter = new OperationReference { Kind = "DataProcess", Name = "preprocess", AffinityStrategy = new AffinityStrategy { Policy = AffinityPolicy.Require } },
            TtlSecondsAfterFinished = 600,
        },
        Status = new OperationStatus
        {
            Phase = OperationPhase.Complete,
            Duration = TimeSpan.FromSeconds(90.5),
            LastScheduleTime = Created,
            LastSuccessfulTime = Created.AddSeconds(91),
            NodeName = "node-1",
            ExitCode = 0,
            LogTail = "mse=0.42\n",
            Infos = { ["rows"] = "600000" },
            Scheduling = new SchedulingDecision
            {
                Node = "node-1",
                Reason = "holds x_train in memory",
                Scores =
                {
                    new NodeScore { Node = "node-1", Score = 100, Reasons = { "+100 holds x_train" } },
                    new NodeScore { Node = "node-2", Score = 50, Reasons = { "+50 same zone" } },
                },
            },
        },
    };

    /// <summary>Kubernetes' Event about the sample dataset, as the controller records one.</summary>
    public static Corev1Event Event() => new()
    {
        ApiVersion = Corev1Event.KubeApiVersion,
        Kind = Corev1Event.KubeKind,
        Metadata = new V1ObjectMeta { Name = "housing.17a2b3c4d5e6f", NamespaceProperty = "ml" },
        InvolvedObject = new V1ObjectReference
        {
            ApiVersion = ResourceKinds.ApiVersion, Kind = "Dataset", NamespaceProperty = "ml", Name = "housing", Uid = Dataset().Metadata.Uid,
        },
        Type = "Warning",
        Reason = "MountFailed",
        Message = "s3://bucket/housing: access denied",
        Count = 1,
        FirstTimestamp = Created.UtcDateTime,
        LastTimestamp = Created.UtcDateTime,
        Source = new V1EventSource { Component = "fluid-controller" },
    };

    /// <summary>One valid object of every registered kind.</summary>
    public static IEnumerable<Resource> All() => [Dataset(), Runtime(), CacheRuntime(), Process()];
}

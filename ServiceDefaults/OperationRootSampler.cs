using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Starts traces at operations (a request served, a run, a step), not at outgoing calls made outside any of them:
/// those are the background loops (lease renewals, watches, the kubelet's and the controller's polls, etcd
/// keep-alives), and each would be a trace of its own. Calls made inside an operation are traced as its children.
/// </summary>
internal sealed class OperationRootSampler : Sampler
{
    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        new(samplingParameters.Kind is ActivityKind.Client or ActivityKind.Producer ? SamplingDecision.Drop : SamplingDecision.RecordAndSample);
}

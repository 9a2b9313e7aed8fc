using k8s.Models;
using Fluid.Aspire.Contracts.Operations;
using Fluid.Aspire.Contracts.Validation;

namespace Fluid.Aspire.Contracts.Tests;

/// <summary>Following runAfter: which chains are cycles, and how they are named.</summary>
public sealed class RunAfterChainTests
{
    public static TheoryData<string, string[], string?> Chains => new()
    {
        // step written, then the stored steps as "name→predecessor" ("ns/name" for another namespace), then the cycle expected.
        { "a→b", ["b→a"], "a → b → a" },
        { "a→b", ["b→c", "c→a"], "a → b → c → a" },
        { "a→b", ["b→c"], null },
        { "a→b", [], null },
        { "a", ["b→a"], null },
        { "a→b", ["b→c", "c→b"], null },
        { "a→other/b", ["other/b→default/a"], "default/a → other/b → default/a" },
    };

    [Theory]
    [MemberData(nameof(Chains))]
    public async Task A_chain_is_a_cycle_only_when_it_comes_back_to_the_step_written(string written, string[] stored, string? cycle)
    {
        var steps = stored.Select(Step).ToDictionary(s => $"{s.Metadata.NamespaceProperty}/{s.Metadata.Name}");

        var found = await RunAfterChain.FindCycleAsync(Step(written), (kind, ns, name, _) =>
            ValueTask.FromResult<IOperation?>(kind == ResourceKinds.DataProcess ? steps.GetValueOrDefault($"{ns}/{name}") : null),
            TestContext.Current.CancellationToken);

        Assert.Equal(cycle, found);
    }

    [Fact]
    public async Task A_cycle_is_refused_as_invalid_naming_the_field_the_chain_and_the_way_out()
    {
        var b = Step("b→a");

        var error = await Assert.ThrowsAsync<ResourceInvalidException>(async () =>
            await RunAfterChain.EnsureNoCycleAsync(Step("a→b"), (_, _, _, _) => ValueTask.FromResult<IOperation?>(b), TestContext.Current.CancellationToken));

        var field = Assert.Single(error.Errors);
        Assert.Equal("spec.runAfter", field.Path);
        Assert.Contains("(a → b → a)", field.Message, StringComparison.Ordinal);
        Assert.Contains("point runAfter of one of them at a step outside the cycle", field.Message, StringComparison.Ordinal);
    }

    /// <summary>A step from <c>name→predecessor</c>, either side optionally <c>namespace/name</c>.</summary>
    private static DataProcess Step(string text)
    {
        var parts = text.Split('→');
        var (ns, name) = Split(parts[0]);
        var step = new DataProcess { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns ?? Resource.DefaultNamespace } };
        if (parts.Length == 2)
        {
            var (afterNs, afterName) = Split(parts[1]);
            step.Spec.RunAfter = new OperationReference { Kind = nameof(DataProcess), Name = afterName, Namespace = afterNs };
        }

        return step;
    }

    private static (string? Namespace, string Name) Split(string reference) =>
        reference.Split('/') is [var ns, var name] ? (ns, name) : (null, reference);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fluid.Aspire.Contracts.Schema;
using Fluid.Aspire.Contracts.Validation;
using k8s;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Tests.Crds;

/// <summary>
/// The examples of docs/examples pass both the local validator and the generated schemas (checked by JsonSchema.Net);
/// each rule has an invalid example, named after it, that the local validator rejects at the rule's field, and that
/// the schema rejects exactly when the rule is said in plain OpenAPI keywords.
/// </summary>
public sealed class ExampleTests
{
    public static TheoryData<string> ValidExamples => [.. Manifests.Valid()];

    public static TheoryData<string> Rules => [.. RuleCatalog.All.Select(rule => rule.Name)];

    [Theory]
    [MemberData(nameof(ValidExamples))]
    public void An_example_is_valid_locally_and_against_its_CRD_schema(string file)
    {
        var json = Manifests.Read(Path.Combine(Manifests.Directory, file));

        var resource = ResourceJson.Deserialize(json.ToJsonString(), strict: true);

        Assert.Empty(ResourceValidator.Validate(resource));
        Assert.Empty(JsonSchemas.Problems(SchemaOf(resource.Kind), json));
    }

    [Fact]
    public void The_examples_show_a_dataset_a_runtime_and_steps_with_a_command_and_with_runAfter()
    {
        var kinds = Manifests.Valid().Select(f => ResourceJson.Deserialize(Manifests.Read(Path.Combine(Manifests.Directory, f)).ToJsonString())).ToList();

        var dataset = Assert.Single(kinds.OfType<Datasets.Dataset>());
        Assert.Equal(["local", "s3"], dataset.Spec.Mounts.Select(m => m.MountPoint.Split(':')[0]));
        Assert.Single(kinds.OfType<Runtimes.ObjectStoreRuntime>());
        Assert.Contains(kinds.OfType<Operations.DataProcess>(), p => p.Spec.Processor?.Command is not null);
        Assert.Contains(kinds.OfType<Operations.DataProcess>(), p => p.Spec.RunAfter is not null);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_rules_invalid_example_is_rejected_locally_and_by_the_schema_when_the_rule_is_a_schema_keyword(string rule)
    {
        var use = RuleCatalog.All.Single(r => r.Name == rule);
        var file = Path.Combine(Manifests.InvalidDirectory, rule + ".yaml");
        Assert.True(File.Exists(file), $"The rule {rule} has no invalid example; write docs/examples/invalid/{rule}.yaml.");
        var json = Manifests.Read(file);

        var local = LocalErrors(json);

        // The rule's field, e.g. "spec.mounts[].name", as the validator's paths write it: "spec.mounts[1].name".
        var field = use.Path.Split(' ', 2) is [_, var onField] ? onField : "";
        var fieldPattern = "^" + Regex.Escape(field).Replace(@"\[]", @"\[\d+]", StringComparison.Ordinal);
        Assert.True(
            local.Any(error => error.Path is null || Regex.IsMatch(error.Path, fieldPattern)),
            $"{rule}: the local validator should reject {file} at {field}; it said: {string.Join("; ", local)}");

        // A Kubernetes kind (Event) has no CRD, so no schema of ours to check against.
        if (ResourceKinds.FindByKind(json["kind"]!.GetValue<string>()) is not { } kind)
        {
            return;
        }

        var schemaProblems = JsonSchemas.Problems(SchemaOf(kind.Kind), json);
        if (use.Form.Enforcement == Enforcement.Schema)
        {
            Assert.True(schemaProblems.Count > 0, $"{rule} is said by schema keywords ({use.Form.How}), but the schema accepts {file}.");
        }
        else
        {
            // Only the rule's own checker can see the problem, which shows that the example breaks that rule alone.
            Assert.True(schemaProblems.Count == 0, $"{rule} is not a plain schema keyword, so the schema should accept {file}; it said: {string.Join("; ", schemaProblems)}");
        }
    }

    [Fact]
    public void Every_invalid_example_is_named_after_a_rule()
    {
        Assert.Empty(Manifests.Invalid().Except(RuleCatalog.All.Select(r => r.Name)));
    }

    /// <summary>
    /// The validator's errors, or the reader's (apiVersion and kind are checked while reading), with no path. A
    /// Kubernetes kind held to rules here (Event) is read as KubernetesClient's model of it.
    /// </summary>
    private static List<(string? Path, string Message)> LocalErrors(JsonNode json)
    {
        try
        {
            var kubernetesKind = KubernetesModelRules.Kinds.FirstOrDefault(type => KubernetesModelRules.RuleName(type) == json["kind"]?.GetValue<string>());
            var resource = kubernetesKind is null
                ? ResourceJson.Deserialize(json.ToJsonString(), strict: true)
                : (IKubernetesObject<V1ObjectMeta>)json.Deserialize(kubernetesKind, ResourceJson.StrictOptions)!;
            return [.. ResourceValidator.Validate(resource).Select(e => ((string?)e.Path, e.Message))];
        }
        catch (JsonException e)
        {
            return [(null, e.Message)];
        }
    }

    private static Json.Schema.JsonSchema SchemaOf(string kind) => JsonSchemas.Of(CustomResourceDefinitions.For(ResourceKinds.GetByKind(kind)));
}

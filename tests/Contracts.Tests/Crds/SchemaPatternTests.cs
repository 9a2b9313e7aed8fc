using System.Text.RegularExpressions;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Schema;
using Fluid.Aspire.Contracts.Validation;
using k8s.Models;

namespace Fluid.Aspire.Contracts.Tests.Crds;

/// <summary>
/// A rule's schema form accepts what its check accepts and refuses what it refuses; where the schema can only
/// approximate (documented as local-only in the rule table), it is the looser of the two, never the stricter.
/// </summary>
public sealed class SchemaPatternTests
{
    private static readonly Dictionary<string, FieldRuleAttribute> Rules = new()
    {
        ["DnsLabel"] = new DnsLabelAttribute(),
        ["DnsSubdomain"] = new DnsSubdomainAttribute(),
        ["QualifiedName"] = new QualifiedNameAttribute(),
        ["Quantity"] = new QuantityAttribute { Positive = true },
        ["Scheme"] = new SchemeAttribute([.. Mount.Schemes]),
        ["AbsolutePath"] = new AbsolutePathAttribute(),
        ["RelativePath"] = new RelativePathAttribute(),
        ["ObjectName"] = new ObjectNameAttribute(),
    };

    [Theory]
    [InlineData("DnsLabel", "my-data", true)]
    [InlineData("DnsLabel", "a1", true)]
    [InlineData("DnsLabel", "-a", false)]
    [InlineData("DnsLabel", "My-data", false)]
    [InlineData("DnsLabel", "a.b", false)]
    [InlineData("DnsSubdomain", "my-data.v1", true)]
    [InlineData("DnsSubdomain", "my-data..v1", false)]
    [InlineData("QualifiedName", "app.kubernetes.io/part-of", true)]
    [InlineData("QualifiedName", "Ready", true)]
    [InlineData("QualifiedName", "bad key", false)]
    [InlineData("QualifiedName", "Example.com/x", false)]
    [InlineData("QualifiedName", "example.com/", false)]
    [InlineData("Quantity", "2Gi", true)]
    [InlineData("Quantity", "+1.5G", true)]
    [InlineData("Quantity", ".5", true)]
    [InlineData("Quantity", "5.", true)]
    [InlineData("Quantity", "1e3", true)]
    [InlineData("Quantity", "500m", true)]
    [InlineData("Quantity", "-1", false)]
    [InlineData("Quantity", "2GB", false)]
    [InlineData("Quantity", "2gi", false)]
    [InlineData("Scheme", "s3://bucket", true)]
    [InlineData("Scheme", "ftp://host", false)]
    [InlineData("Scheme", "/mnt/data", false)]
    [InlineData("AbsolutePath", "/data", true)]
    [InlineData("AbsolutePath", "data", false)]
    [InlineData("RelativePath", "raw/2025", true)]
    [InlineData("RelativePath", ".", true)]
    [InlineData("RelativePath", "./raw", true)]
    [InlineData("RelativePath", "..raw/x", true)]
    [InlineData("RelativePath", ".hidden/...", true)]
    [InlineData("RelativePath", "raw//2025/", true)]
    [InlineData("RelativePath", "..", false)]
    [InlineData("RelativePath", "../raw", false)]
    [InlineData("RelativePath", "raw/../../x", false)]
    [InlineData("RelativePath", "raw/..", false)]
    [InlineData("RelativePath", "/raw", false)]
    [InlineData("ObjectName", "x_train", true)]
    [InlineData("ObjectName", "run-42/model", true)]
    [InlineData("ObjectName", "x train", false)]
    [InlineData("ObjectName", "tab\there", false)]
    public void The_schema_form_agrees_with_the_check(string rule, string value, bool valid)
    {
        Assert.Equal(valid, Rules[rule].Check(value) is null);
        Assert.Equal(valid, SchemaAccepts(Rules[rule], value));
    }

    [Theory]
    [InlineData("Quantity", "0Gi")]
    [InlineData("ObjectName", "o0123456789abcdef")]
    [InlineData("QualifiedName", "a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123456789a123.com/x")]
    public void Where_the_schema_approximates_it_accepts_what_only_the_check_refuses(string rule, string value)
    {
        Assert.NotNull(Rules[rule].Check(value));
        Assert.True(SchemaAccepts(Rules[rule], value));
    }

    [Theory]
    [InlineData("local:///mnt/data", true)]
    [InlineData("local://mnt/data", false)]
    [InlineData("local:///", false)]
    [InlineData("pvc://housing-claim/raw", true)]
    [InlineData("pvc://Claim_1/raw", false)]
    [InlineData("https://example.com/data.csv", true)]
    [InlineData("https:///data.csv", false)]
    [InlineData("hdfs://namenode:8020/data", true)]
    [InlineData("s3://bucket", true)]
    [InlineData("s3:///prefix", false)]
    [InlineData("oss://bucket/my data", false)]
    [InlineData("objectstore://housing/", true)]
    [InlineData("objectstore://", false)]
    [InlineData("objectstore:///", false)]
    public void The_mount_point_pattern_agrees_with_the_schemes_own_checks(string mountPoint, bool valid)
    {
        var dataset = new Dataset { Metadata = { Name = "housing" }, Spec = { Mounts = { new Mount { MountPoint = mountPoint } } } };

        Assert.Equal(valid, ResourceValidator.Validate(dataset).Count == 0);
        Assert.Equal(valid, Matches(ResourceValidator.MountPointPattern, mountPoint));
    }

    [Fact]
    public void A_printer_column_path_names_fields_and_escapes_dots_within_them()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse("""{"metadata": {"labels": {"fluid.io/run": "r1"}}, "status": {"exitCode": 0}}""");

        Assert.Equal(["metadata", "labels", "fluid.io/run"], PrinterColumnPath.Parse(@".metadata.labels.fluid\.io/run"));
        Assert.Equal("r1", PrinterColumnPath.Read(json, @".metadata.labels.fluid\.io/run")!.GetValue<string>());
        Assert.Equal(0, PrinterColumnPath.Read(json, ".status.exitCode")!.GetValue<int>());
        Assert.Null(PrinterColumnPath.Read(json, ".status.phase"));
        Assert.Null(PrinterColumnPath.Read(json, ".status.exitCode.value"));
        Assert.Throws<FormatException>(() => PrinterColumnPath.Parse(".spec.mounts[*].mountPoint"));
        Assert.Throws<FormatException>(() => PrinterColumnPath.Parse("status.phase"));
        Assert.Throws<FormatException>(() => PrinterColumnPath.Parse(".status..phase"));
    }

    [Fact]
    public void A_quantity_may_be_a_bare_integer_as_in_Kubernetes_and_is_written_back_as_a_string()
    {
        var step = ResourceJson.Deserialize<Operations.DataProcess>("""{"spec": {"resources": {"requests": {"cpu": 2, "memory": "4Gi"}}}}""");

        Assert.Equal("2", step.Spec.Resources!.Requests["cpu"].ToString());
        Assert.Contains("\"cpu\":\"2\"", ResourceJson.Serialize(step), StringComparison.Ordinal);
    }

    /// <summary>The string keywords a rule put on a string node, evaluated as ECMAScript patterns, as an API server would.</summary>
    private static bool SchemaAccepts(FieldRuleAttribute rule, string value)
    {
        var node = new V1JSONSchemaProps { Type = "string" };
        rule.ApplyTo(node, typeof(string));
        return value.Length >= (node.MinLength ?? 0) && value.Length <= (node.MaxLength ?? long.MaxValue) &&
            new[] { node.Pattern }.Concat((node.AllOf ?? []).Select(a => a.Pattern)).OfType<string>().All(pattern => Matches(pattern, value));
    }

    private static bool Matches(string pattern, string value) => Regex.IsMatch(value, pattern, RegexOptions.ECMAScript);
}

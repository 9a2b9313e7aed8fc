using System.Text.Json.Nodes;
using Fluid.Aspire.Cli.Commands;
using Fluid.Aspire.Cli.Kinds;
using Fluid.Aspire.Contracts;
using Fluid.Aspire.Contracts.Datasets;
using Fluid.Aspire.Contracts.Operations;

namespace Fluid.Aspire.Cli.Tests;

/// <summary>fluid get shows a custom kind's printer columns, as its CRD declares them for kubectl, without a stack.</summary>
public sealed class PrinterColumnTests
{
    private static readonly DateTimeOffset Now = new(2025, 5, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_columns_are_the_kinds_printer_columns_with_wide_ones_only_with_wide()
    {
        var kind = Kinds.Kinds.Find("ds");

        Assert.Equal(
            ["NAME", .. ResourceKinds.Dataset.PrinterColumns.Where(c => c.Priority is null).Select(c => c.Name.ToUpperInvariant())],
            kind.Columns.Where(c => !c.Wide).Select(c => c.Header));
        Assert.Equal(["TOTAL FILES", "CACHE HIT RATIO"], kind.Columns.Where(c => c.Wide).Select(c => c.Header));
    }

    [Fact]
    public void Values_are_read_from_the_JSON_form_dates_shown_as_ages_and_missing_ones_as_none()
    {
        var dataset = new Dataset
        {
            Metadata = { Name = "housing", CreationTimestamp = Now.AddMinutes(-5).UtcDateTime },
            Status = { Phase = DatasetPhase.Bound, UfsTotal = "1.2GiB", FileNum = 42, CacheStates = new CacheStates { Cached = "512MiB" } },
        };

        var table = GetCommand.Render(Kinds.Kinds.Find("dataset"), [Item(dataset)], wide: true, withNamespace: false, Now);

        var row = table.Split('\n')[1];
        Assert.Equal(["housing", "1.2GiB", "512MiB", "<none>", "<none>", "Bound", "42", "<none>", "5m"], row.Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void A_label_column_reads_a_key_with_dots_and_an_unset_step_shows_none()
    {
        var step = new DataProcess { Metadata = { Name = "train", CreationTimestamp = Now.AddSeconds(-30).UtcDateTime, Labels = new Dictionary<string, string> { [FlowLabels.Run] = "r1" } } };
        step.Status.ExitCode = 0;
        step.Status.Duration = TimeSpan.FromMilliseconds(250);

        var table = GetCommand.Render(Kinds.Kinds.Find("dp"), [Item(step)], wide: false, withNamespace: false, Now);

        Assert.Equal(
            ["train", "<none>", "<none>", "<none>", "250ms", "0", "r1", "30s"],
            table.Split('\n')[1].Split("   ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public void The_runtime_keeps_its_short_names_and_answers_to_the_CRDs()
    {
        Assert.Equal(["runtime", "runtimes", "objectstoreruntime", "objectstoreruntimes", "osr"], Kinds.Kinds.Find("osr").Names);
        Assert.Equal(["dataprocess", "dataprocesses", "dp"], Kinds.Kinds.Find("dataprocesses").Names);
    }

    private static Item Item(Resource resource) =>
        new(resource.Metadata.Name, resource.Metadata.NamespaceProperty, resource, JsonNode.Parse(ResourceJson.Serialize(resource))!);
}

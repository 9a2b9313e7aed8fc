using Fluid.Aspire.Samples.LinearRegression.Data;
using Fluid.Aspire.Samples.LinearRegression.Exchange;

namespace Fluid.Aspire.Sample.Tests;

/// <summary>A table's features and target as the steps read them from an exchange.</summary>
internal sealed record Views(ColumnsView Features, ColumnsView Target) : IDisposable
{
    public static Views Of(FeatureTable table) => new(ColumnsView.Of(table.Names, table.Columns), ColumnsView.Of(["price"], [table.Target]));

    public void Dispose()
    {
        Features.Dispose();
        Target.Dispose();
    }
}

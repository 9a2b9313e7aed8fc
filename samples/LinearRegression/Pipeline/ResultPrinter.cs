using System.Globalization;

namespace Fluid.Aspire.Samples.LinearRegression.Pipeline;

/// <summary>The end of a run, for a terminal: the metrics, each step's times and node, and the RESULT line scripts read.</summary>
public static class ResultPrinter
{
    public static void Print(PipelineResult result, TextWriter output)
    {
        string F(double value, string format = "0.000") => value.ToString(format, CultureInfo.InvariantCulture);
        output.WriteLine();
        output.WriteLine($"{"metric",-8} {"value",14}");
        foreach (var (name, label) in new[] { ("r2", "R²"), ("rmse", "RMSE"), ("mae", "MAE"), ("mse", "MSE") })
        {
            output.WriteLine($"{label,-8} {F(result.Figure(Steps.Test, name), name == "r2" ? "0.000000" : "0.00"),14}");
        }

        output.WriteLine();
        output.WriteLine($"{"step",-12} {"node",-8} {"read s",8} {"compute s",10} {"write s",8}");
        for (var i = 0; i < result.Reports.Count; i++)
        {
            var report = result.Reports[i];
            output.WriteLine($"{report?.Step ?? result.Steps[i].Step,-12} {result.Steps[i].Node,-8} {F(report?.ReadSeconds ?? double.NaN),8} " +
                $"{F(report?.ComputeSeconds ?? double.NaN),10} {F(report?.WriteSeconds ?? double.NaN),8}");
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT r2={F(result.Figure(Steps.Test, "r2"), "0.000000")} rmse={F(result.Figure(Steps.Test, "rmse"), "0.00")} " +
            $"mae={F(result.Figure(Steps.Test, "mae"), "0.00")} rows={result.Figure(Steps.Preprocess, "rows")} " +
            $"exchange={result.Options.Exchange.ToString().ToLowerInvariant()} seconds={F(result.Seconds, "0.00")}"));
    }
}

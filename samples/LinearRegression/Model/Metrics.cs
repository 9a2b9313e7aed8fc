namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>The regression metrics of a model on a test set, as ML.NET's regression evaluator computes them.</summary>
public sealed record RegressionScores(double RSquared, double RootMeanSquaredError, double MeanAbsoluteError, double MeanSquaredError, int Rows);

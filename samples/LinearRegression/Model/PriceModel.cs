using System.Collections.Immutable;
using Apache.Arrow;
using Fluid.Aspire.ObjectStore.Client.ML;
using Fluid.Aspire.Samples.LinearRegression.Exchange;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;

namespace Fluid.Aspire.Samples.LinearRegression.Model;

/// <summary>
/// The sample's model: ML.NET's linear regression, trained by SDCA on the features standardized to mean 0 and variance 1.
/// It trains and scores over the exchanged columns where they are, through the store's data view, which reads the
/// features as one vector of floats, converted from the stored doubles row by row.
/// </summary>
public sealed class PriceModel
{
    public const string Trainer = "ml.net-sdca";

    private const string FeaturesColumn = "Features";
    private const string LabelColumn = "Label";
    private const string ScoreColumn = "Score";

    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly DataViewSchema _input;

    private PriceModel(MLContext ml, ITransformer model, DataViewSchema input)
    {
        _ml = ml;
        _model = model;
        _input = input;
    }

    /// <param name="features">The training rows' features (x_train).</param>
    /// <param name="target">Their prices (y_train), one column.</param>
    public static PriceModel Train(ColumnsView features, ColumnsView target)
    {
        var ml = new MLContext(seed: 0);
        var data = DataView(features, target);
        var pipeline = ml.Transforms.Conversion.ConvertType(LabelColumn, target.Names[0], DataKind.Single)
            .Append(ml.Transforms.NormalizeMeanVariance(FeaturesColumn, fixZero: false))
            .Append(ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options
            {
                LabelColumnName = LabelColumn,
                FeatureColumnName = FeaturesColumn,
                // One thread, and the rows in their order (the split shuffled them): the same model on every run and exchange.
                NumberOfThreads = 1,
                Shuffle = false,
                // SDCA's own default (1e-6 and less on many rows) barely moves the dual variables of noisy prices, and it stalls
                // far from the least-squares fit; 1e-2 on standardized features converges in a few passes and shrinks the fit
                // by about 1%, which costs R² less than 0.001.
                L2Regularization = 1e-2f,
                // Each pass reads every row through the data view, and the more rows, the further a pass gets: about 1.5
                // million rows read in all, between 3 and 20 passes (16,512 rows of real data need the 20).
                MaximumNumberOfIterations = Math.Clamp(1_500_000 / Math.Max(features.Rows, 1), 3, 20),
                ConvergenceCheckFrequency = 5,
            }));
        return new PriceModel(ml, pipeline.Fit(data), data.Schema);
    }

    /// <summary>A model as <see cref="ToBytes"/> wrote it.</summary>
    public static PriceModel FromBytes(byte[] bytes)
    {
        var ml = new MLContext(seed: 0);
        using var stream = new MemoryStream(bytes, writable: false);
        var model = ml.Model.Load(stream, out var input);
        return new PriceModel(ml, model, input);
    }

    /// <summary>The model as ML.NET saves it (a zip), with the schema of the data it takes.</summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        _ml.Model.Save(_model, _input, stream);
        return stream.ToArray();
    }

    /// <summary>Predicts the prices of <paramref name="features"/> and scores them against <paramref name="target"/>.</summary>
    public (RegressionScores Scores, float[] Predictions) Score(ColumnsView features, ColumnsView target)
    {
        var scored = _model.Transform(DataView(features, target));
        var metrics = _ml.Regression.Evaluate(scored, LabelColumn, ScoreColumn);
        var predictions = scored.GetColumn<float>(ScoreColumn).ToArray();
        return (new RegressionScores(metrics.RSquared, metrics.RootMeanSquaredError, metrics.MeanAbsoluteError, metrics.MeanSquaredError, predictions.Length),
            predictions);
    }

    /// <summary>The weights and intercept on the features in their own units: the standardization folded in.</summary>
    public LinearModel Coefficients()
    {
        var steps = ((IEnumerable<ITransformer>)_model).ToList();
        var normalizer = (NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>>)
            steps.OfType<NormalizingTransformer>().Single().GetNormalizerModelParameters(0);
        var linear = (LinearRegressionModelParameters)((ISingleFeaturePredictionTransformer<object>)steps[^1]).Model;
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        _input[FeaturesColumn].Annotations.GetValue("SlotNames", ref names);

        // The model sees (x - offset) × scale.
        var weights = new double[linear.Weights.Count];
        double intercept = linear.Bias;
        for (var j = 0; j < weights.Length; j++)
        {
            weights[j] = linear.Weights[j] * (double)normalizer.Scale[j];
            intercept -= weights[j] * (normalizer.Offset.IsDefaultOrEmpty ? 0 : normalizer.Offset[j]);
        }

        return new LinearModel([.. names.DenseValues().Select(n => n.ToString())], weights, intercept, Trainer);
    }

    /// <summary>x and y side by side as one record batch over their memory, the features read as one vector of floats.</summary>
    private static RecordBatchDataView DataView(ColumnsView features, ColumnsView target)
    {
        if (target.Rows != features.Rows || target.Names.Count != 1)
        {
            throw new ArgumentException(
                $"The target must be one column of a price per row of the features; it has {target.Names.Count} column(s) of {target.Rows} rows for {features.Rows} rows.",
                nameof(target));
        }

        var schema = new Schema([.. features.Batch.Schema.FieldsList, .. target.Batch.Schema.FieldsList], metadata: null);
        var batch = new RecordBatch(schema, [.. features.Batch.Arrays, .. target.Batch.Arrays], features.Rows);
        return new RecordBatchDataView(batch, new RecordBatchDataViewOptions
        {
            SingleVectors = new Dictionary<string, IReadOnlyList<string>> { [FeaturesColumn] = features.Names },
        });
    }
}

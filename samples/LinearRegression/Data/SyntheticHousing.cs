namespace Fluid.Aspire.Samples.LinearRegression.Data;

/// <summary>
/// A House-Prices-like table of integer columns, generated from known coefficients plus noise, so that a fit can be
/// checked against the truth. As in Fluid's sample: 45 features and SalePrice; a few very large houses
/// (GrLivArea above 4,800) that preprocessing drops as outliers; LotFrontage missing in some rows, to impute.
/// </summary>
public static class SyntheticHousing
{
    /// <summary>The feature columns with their range and the price each unit adds.</summary>
    public static IReadOnlyList<(string Name, int Min, int Max, double Coefficient)> Features { get; } =
    [
        ("MSSubClass", 20, 190, -35), ("LotFrontage", 21, 313, 45), ("LotArea", 1300, 215000, 0.35), ("OverallQual", 1, 10, 9500),
        ("OverallCond", 1, 9, 3800), ("YearBuilt", 1872, 2010, 220), ("YearRemodAdd", 1950, 2010, 140), ("MasVnrArea", 0, 1600, 28),
        ("BsmtFinSF1", 0, 5644, 12), ("BsmtFinSF2", 0, 1474, 4), ("BsmtUnfSF", 0, 2336, 2), ("TotalBsmtSF", 0, 6110, 16),
        ("FirstFlrSF", 334, 4692, 22), ("SecondFlrSF", 0, 2065, 18), ("LowQualFinSF", 0, 572, -6), ("GrLivArea", 334, 5642, 40),
        ("BsmtFullBath", 0, 3, 6500), ("BsmtHalfBath", 0, 2, 1200), ("FullBath", 0, 3, 4200), ("HalfBath", 0, 2, 2100),
        ("BedroomAbvGr", 0, 8, -4000), ("KitchenAbvGr", 0, 3, -9000), ("TotRmsAbvGrd", 2, 14, 1500), ("Fireplaces", 0, 3, 4800),
        ("GarageYrBlt", 1900, 2010, 30), ("GarageCars", 0, 4, 10500), ("GarageArea", 0, 1418, 14), ("WoodDeckSF", 0, 857, 25),
        ("OpenPorchSF", 0, 547, 20), ("EnclosedPorch", 0, 552, 8), ("ThreeSsnPorch", 0, 508, 15), ("ScreenPorch", 0, 480, 30),
        ("PoolArea", 0, 738, -20), ("MiscVal", 0, 15500, -0.5), ("MoSold", 1, 12, 150), ("YrSold", 2006, 2010, -600),
        ("GarageQual", 1, 5, 2500), ("KitchenQual", 1, 5, 8000), ("ExterQual", 1, 5, 9000), ("BsmtQual", 1, 5, 5000),
        ("HeatingQC", 1, 5, 1800), ("FireplaceQu", 0, 5, 1200), ("Functional", 1, 8, 2400), ("PavedDrive", 0, 2, 1500),
        ("Neighborhood", 1, 25, 900),
    ];

    public const string Target = "SalePrice";
    // Set so that prices come out positive, about 60,000 to 650,000: the year columns alone add over a million either way.
    public const double Intercept = 380_000;
    public const double NoiseStandardDeviation = 15_000;

    /// <summary>The rows that preprocessing drops: houses of more than this living area, as in the House Prices notebooks.</summary>
    public const double OutlierLivingArea = 4800;

    /// <summary>The share of rows whose LotFrontage is missing.</summary>
    public const double MissingShare = 0.05;

    /// <summary>Generates <paramref name="rows"/> rows; the same seed gives the same table, column by column, whatever the machine.</summary>
    public static FeatureTable Generate(int rows, int seed)
    {
        var columns = new double[Features.Count][];
        var target = new double[rows];
        Array.Fill(target, Intercept);
        Parallel.For(0, Features.Count, c =>
        {
            var (_, min, max, _) = Features[c];
            var random = new SeededRandom(((long)seed << 16) + c);
            var column = GC.AllocateUninitializedArray<double>(rows);
            for (var r = 0; r < rows; r++)
            {
                // A skew towards small values, with a long tail, as living areas and lot sizes have.
                var u = random.NextDouble();
                column[r] = Math.Round(min + ((max - min) * u * u));
            }

            columns[c] = column;
        });
        for (var c = 0; c < Features.Count; c++)
        {
            var coefficient = Features[c].Coefficient;
            var column = columns[c];
            for (var r = 0; r < rows; r++)
            {
                target[r] += coefficient * column[r];
            }
        }

        var noise = new SeededRandom(((long)seed << 16) - 1);
        var missing = new SeededRandom(((long)seed << 16) - 2);
        var frontage = columns[1];
        for (var r = 0; r < rows; r++)
        {
            target[r] += NoiseStandardDeviation * Gaussian(ref noise);
            if (missing.NextDouble() < MissingShare)
            {
                frontage[r] = double.NaN;
            }
        }

        return new FeatureTable(Features.Select(f => f.Name).ToArray(), columns, target);
    }

    private static double Gaussian(ref SeededRandom random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

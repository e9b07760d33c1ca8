namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// The outcome of a two-sided Mann–Whitney U test of sample X (the canary) against sample Y (the reference).
/// </summary>
/// <param name="UX">U statistic of X: the number of pairs (x, y) with x &gt; y, ties counting one half.</param>
/// <param name="UY">U statistic of Y; <c>UX + UY = NX * NY</c>.</param>
/// <param name="Z">The normal approximation's z score of UX, with tie and continuity correction (0 when all values tie).</param>
/// <param name="PValue">Two-sided p-value from the normal approximation.</param>
/// <param name="ShiftEstimate">Estimated shift of X relative to Y (see <see cref="MannWhitneyU.HodgesLehmannShift"/>).</param>
public sealed record MannWhitneyResult(double UX, double UY, double Z, double PValue, double ShiftEstimate, int NX, int NY);

/// <summary>
/// The Mann–Whitney U rank test, as automated canary analysis uses it: it asks whether canary values tend to be
/// larger or smaller than the reference values, without assuming a distribution.
/// </summary>
public static class MannWhitneyU
{
    /// <summary>
    /// Runs the test. Ties get mid-ranks; the p-value uses the normal approximation with the tie-corrected
    /// variance and a continuity correction of 0.5 (as scipy's <c>mannwhitneyu(method="asymptotic")</c>).
    /// </summary>
    public static MannWhitneyResult Test(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0 || y.Count == 0)
        {
            throw new ArgumentException($"The Mann–Whitney test needs at least one value in each sample; got {x.Count} and {y.Count}.");
        }

        if (x.Concat(y).Any(v => !double.IsFinite(v)))
        {
            throw new ArgumentException("The Mann–Whitney test takes finite values only.");
        }

        int nx = x.Count, ny = y.Count, n = nx + ny;
        var pooled = x.Select(v => (Value: v, FromX: true)).Concat(y.Select(v => (Value: v, FromX: false)))
            .OrderBy(p => p.Value).ToArray();

        double rankSumX = 0;
        double tieTerm = 0; // Σ (t³ − t) over tie groups
        for (var i = 0; i < n;)
        {
            var j = i;
            while (j + 1 < n && pooled[j + 1].Value == pooled[i].Value)
            {
                j++;
            }

            var midRank = (i + j + 2) / 2.0; // ranks are 1-based: positions i..j hold ranks i+1..j+1
            double t = j - i + 1;
            tieTerm += t * t * t - t;
            for (var k = i; k <= j; k++)
            {
                if (pooled[k].FromX)
                {
                    rankSumX += midRank;
                }
            }

            i = j + 1;
        }

        var ux = rankSumX - nx * (nx + 1) / 2.0;
        var uy = (double)nx * ny - ux;
        var mean = nx * (double)ny / 2.0;
        var variance = nx * (double)ny / 12.0 * ((n + 1) - tieTerm / (n * (double)(n - 1)));

        double z, p;
        if (variance <= 0)
        {
            // Every value ties: the samples cannot be told apart.
            z = 0;
            p = 1;
        }
        else
        {
            var distance = Math.Max(Math.Abs(ux - mean) - 0.5, 0);
            z = Math.Sign(ux - mean) * distance / Math.Sqrt(variance);
            p = Math.Min(1.0, Erfc(Math.Abs(z) / Math.Sqrt(2)));
        }

        return new MannWhitneyResult(ux, uy, z, p, HodgesLehmannShift(x, y), nx, ny);
    }

    /// <summary>Above this many pairs the shift is estimated as the difference of medians instead (memory stays bounded).</summary>
    public const long MaxPairsForHodgesLehmann = 1_000_000;

    /// <summary>
    /// The median of all pairwise differences x − y (Hodges–Lehmann); for more than
    /// <see cref="MaxPairsForHodgesLehmann"/> pairs, the difference of the medians.
    /// </summary>
    public static double HodgesLehmannShift(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if ((long)x.Count * y.Count > MaxPairsForHodgesLehmann)
        {
            return SliAggregator.Percentile(x, 50) - SliAggregator.Percentile(y, 50);
        }

        var differences = new double[x.Count * y.Count];
        var k = 0;
        foreach (var a in x)
        {
            foreach (var b in y)
            {
                differences[k++] = a - b;
            }
        }

        Array.Sort(differences);
        var middle = differences.Length / 2;
        return differences.Length % 2 == 1 ? differences[middle] : (differences[middle - 1] + differences[middle]) / 2.0;
    }

    /// <summary>
    /// The complementary error function (Numerical Recipes' Chebyshev fit <c>erfcc</c>): fractional error below
    /// 1.2e-7 everywhere, ample for comparing a p-value with a significance level.
    /// </summary>
    internal static double Erfc(double value)
    {
        var z = Math.Abs(value);
        var t = 1.0 / (1.0 + 0.5 * z);
        var r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 +
            t * (-0.82215223 + t * 0.17087277)))))))));
        return value >= 0 ? r : 2.0 - r;
    }
}

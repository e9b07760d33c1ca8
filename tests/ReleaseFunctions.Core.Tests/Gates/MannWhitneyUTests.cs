using ReleaseFunctions.Core.Gates;

namespace ReleaseFunctions.Core.Tests.Gates;

public class MannWhitneyUTests
{
    [Fact]
    public void Matches_the_scipy_documentation_example()
    {
        // scipy.stats.mannwhitneyu([19, 22, 16, 29, 24], [20, 11, 17, 12], method="asymptotic"):
        // U1 = 17, p = 0.11134688653314041. By hand: ranks of x are 3, 5, 7, 8, 9 → R = 32, U = 32 − 15 = 17;
        // σ² = 5·4·10/12, z = (17 − 10 − 0.5)/σ = 1.59217.
        var result = MannWhitneyU.Test([19, 22, 16, 29, 24], [20, 11, 17, 12]);

        Assert.Equal(17, result.UX);
        Assert.Equal(3, result.UY);
        Assert.Equal(1.59217, result.Z, 4);
        Assert.Equal(0.1113469, result.PValue, 1e-6);
    }

    [Fact]
    public void Gives_ties_mid_ranks_and_corrects_the_variance()
    {
        // Pooled and sorted: 1x 2x 2x 2y 3x 3y 3y 4y 5x 6y 7y; the 2s share rank 3, the 3s rank 6.
        // R(x) = 1 + 3 + 3 + 6 + 9 = 22 → U = 7. Ties: Σ(t³−t) = 24 + 24 = 48;
        // σ² = 5·6/12 · (12 − 48/110) = 28.909; z = −(|7 − 15| − 0.5)/σ = −1.39490; p = 0.163045.
        var result = MannWhitneyU.Test([1, 2, 2, 3, 5], [2, 3, 3, 4, 6, 7]);

        Assert.Equal(7, result.UX);
        Assert.Equal(23, result.UY);
        Assert.Equal(-1.39490, result.Z, 4);
        Assert.Equal(0.163045, result.PValue, 1e-6);
        Assert.Equal(-1, result.ShiftEstimate);
    }

    [Fact]
    public void Identical_samples_show_no_difference()
    {
        double[] values = [120, 130, 125, 140, 118, 133, 127, 129];
        var result = MannWhitneyU.Test(values, values);

        Assert.Equal(result.UX, result.UY);
        Assert.True(result.PValue > 0.9, $"p = {result.PValue}");
        Assert.Equal(0, result.ShiftEstimate);
    }

    [Fact]
    public void All_values_tied_gives_p_of_one()
    {
        var result = MannWhitneyU.Test([5, 5, 5], [5, 5]);

        Assert.Equal(1, result.PValue);
        Assert.Equal(0, result.Z);
    }

    [Fact]
    public void A_shifted_sample_is_detected_and_its_shift_estimated()
    {
        var random = new Random(42);
        var baseline = Enumerable.Range(0, 40).Select(_ => 200 + random.NextDouble() * 20).ToArray();
        var canary = baseline.Select(v => v + 30).ToArray();

        var result = MannWhitneyU.Test(canary, baseline);

        Assert.True(result.PValue < 0.001, $"p = {result.PValue}");
        Assert.True(result.Z > 0);
        Assert.InRange(result.ShiftEstimate, 25, 35);
    }

    [Fact]
    public void Swapping_the_samples_mirrors_the_statistics()
    {
        double[] a = [3.1, 4.5, 2.2, 8.9, 5.0, 6.1];
        double[] b = [1.0, 2.5, 3.3, 0.4, 2.2];

        var ab = MannWhitneyU.Test(a, b);
        var ba = MannWhitneyU.Test(b, a);

        Assert.Equal(ab.UX, ba.UY);
        Assert.Equal(ab.PValue, ba.PValue, 12);
        Assert.Equal(-ab.Z, ba.Z, 12);
        Assert.Equal(-ab.ShiftEstimate, ba.ShiftEstimate, 12);
    }

    [Fact]
    public void Large_samples_estimate_the_shift_from_medians()
    {
        var baseline = Enumerable.Range(0, 2000).Select(i => (double)(i % 100)).ToArray();
        var canary = baseline.Select(v => v + 7).ToArray();

        var result = MannWhitneyU.Test(canary, baseline);

        Assert.Equal(7, result.ShiftEstimate, 9);
        Assert.True(result.PValue < 0.001);
    }

    [Fact]
    public void Rejects_empty_samples_with_a_clear_message()
    {
        var error = Assert.Throws<ArgumentException>(() => MannWhitneyU.Test([], [1.0]));
        Assert.Contains("at least one value in each sample", error.Message);
    }
}

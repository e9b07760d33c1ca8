using ReleaseFunctions.Core.Gates;
using ReleaseFunctions.Core.Sli;

namespace ReleaseFunctions.Core.Tests.Gates;

public class BurnRateRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 30, 0, TimeSpan.Zero);
    private static readonly BurnRateRule Rule = new("error_rate", 99.9);

    private static Dictionary<TimeSpan, ErrorRatioReading> Ratios(params (TimeSpan Duration, double? Ratio)[] ratios)
        => ratios.ToDictionary(r => r.Duration, r => new ErrorRatioReading(r.Ratio, new SliWindow(Now - r.Duration, Now), r.Ratio is null ? 0 : 10));

    [Fact]
    public void The_default_pairs_are_the_SRE_workbooks_paging_pairs_and_each_duration_is_read_once()
    {
        Assert.Equal([(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 14.4), (TimeSpan.FromMinutes(30), TimeSpan.FromHours(6), 6.0)], Rule.Windows.Select(w => (w.Short, w.Long, w.Factor)));
        Assert.Equal([TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1), TimeSpan.FromHours(6)], Rule.ReadDurations);
        Assert.Equal(0.001, Rule.AllowedErrorRatio);
    }

    [Fact]
    public void A_pair_trips_only_when_both_its_windows_burn_at_or_above_the_factor()
    {
        // 1.44% errors is exactly 14.4x a 0.1% budget.
        var both = Rule.Judge(Ratios((TimeSpan.FromMinutes(5), 0.0144), (TimeSpan.FromHours(1), 0.02), (TimeSpan.FromMinutes(30), 0.001), (TimeSpan.FromHours(6), 0.001)), "q");
        Assert.True(both.Tripped);
        Assert.Equal("burn rate 14.4x over 5m and 20x over 1h, at or above 14.4x (error_rate 1.44% / 2%; SLO 99.9%, budget 0.1% errors)", both.Reason);
        Assert.True(both.Windows[0].Tripped);
        Assert.False(both.Windows[1].Tripped);

        // A spike that is over (short window back to normal) does not page, nor does a short burst the long window absorbs.
        var over = Rule.Judge(Ratios((TimeSpan.FromMinutes(5), 0.0005), (TimeSpan.FromHours(1), 0.05), (TimeSpan.FromMinutes(30), 0.001), (TimeSpan.FromHours(6), 0.001)), "q");
        Assert.False(over.Tripped);
        var burst = Rule.Judge(Ratios((TimeSpan.FromMinutes(5), 0.5), (TimeSpan.FromHours(1), 0.0143), (TimeSpan.FromMinutes(30), 0.001), (TimeSpan.FromHours(6), 0.001)), "q");
        Assert.False(burst.Tripped);
        Assert.Equal("burn rate within limits: 500x/14.3x over 5m/1h (limit 14.4x); 1x/1x over 30m/6h (limit 6x) (SLO 99.9%, budget 0.1% errors)", burst.Reason);
    }

    [Fact]
    public void The_slower_pair_trips_on_a_sustained_burn()
    {
        var verdict = Rule.Judge(Ratios((TimeSpan.FromMinutes(5), 0.007), (TimeSpan.FromHours(1), 0.007), (TimeSpan.FromMinutes(30), 0.007), (TimeSpan.FromHours(6), 0.006)), "q");

        Assert.True(verdict.Tripped);
        Assert.False(verdict.Windows[0].Tripped);
        Assert.True(verdict.Windows[1].Tripped);
        Assert.StartsWith("burn rate 7x over 30m and 6x over 6h, at or above 6x", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void No_data_in_a_window_never_trips_its_pair_and_says_so()
    {
        var verdict = Rule.Judge(Ratios((TimeSpan.FromMinutes(5), 0.5), (TimeSpan.FromHours(1), null)), "q");

        Assert.False(verdict.Tripped);
        Assert.Null(verdict.Windows[0].LongBurnRate);
        Assert.Equal("burn rate within limits: 5m/1h: no data; 30m/6h: no data (SLO 99.9%, budget 0.1% errors)", verdict.Reason);
    }

    [Fact]
    public void Windows_reach_back_no_further_than_the_candidates_first_traffic()
    {
        var movedAt = Now.AddMinutes(-2);

        Assert.Equal(new SliWindow(movedAt, Now), BurnRateRule.WindowEndingAt(Now, TimeSpan.FromHours(1), movedAt));
        Assert.Equal(new SliWindow(Now.AddMinutes(-1), Now), BurnRateRule.WindowEndingAt(Now, TimeSpan.FromMinutes(1), movedAt));
        Assert.Equal(new SliWindow(Now.AddSeconds(-1), Now), BurnRateRule.WindowEndingAt(Now, TimeSpan.FromHours(1), Now)); // never empty
    }

    [Fact]
    public void Invariants_are_checked_when_built()
    {
        Assert.Throws<ArgumentException>(() => new BurnRateWindows(TimeSpan.FromHours(1), TimeSpan.FromMinutes(5), 14.4));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BurnRateWindows(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BurnRateRule("error_rate", 100));
        Assert.Throws<ArgumentException>(() => new BurnRateRule("error_rate", 99.9, []));
        var latency = new SliObjective("latency", "prometheus", "q", SliAggregation.P99, SliUnit.Number, [new AbsoluteCriterion(ComparisonOperator.LessThan, 300, isPercent: false)], []);
        Assert.Throws<ArgumentException>(() => new GateDefinition([latency]) { BurnRate = new BurnRateRule("latency", 99.9) });
        Assert.Throws<ArgumentException>(() => new GateDefinition([latency]) { BurnRate = new BurnRateRule("error_rate", 99.9) });
    }
}

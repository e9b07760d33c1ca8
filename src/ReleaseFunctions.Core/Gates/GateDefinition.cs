namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// Total-score thresholds in percent of the attainable score, as in Kayenta: at or above <see cref="Pass"/> the
/// gate passes, at or above <see cref="Marginal"/> it is a warning, below it fails.
/// </summary>
public sealed record ScoreThresholds
{
    /// <summary>Pass 90, marginal 75.</summary>
    public static ScoreThresholds Default { get; } = new(90, 75);

    public ScoreThresholds(double pass, double marginal)
    {
        if (!(marginal >= 0 && marginal <= pass && pass <= 100))
        {
            throw new ArgumentException($"Score thresholds need 0 <= marginal <= pass <= 100; got pass {pass}, marginal {marginal}.");
        }

        Pass = pass;
        Marginal = marginal;
    }

    public double Pass { get; }
    public double Marginal { get; }
}

/// <summary>
/// How a gate is measured over time (the Argo Rollouts analysis model): <see cref="Count"/> measurements, one per
/// <see cref="Interval"/>. The run fails as soon as more than <see cref="FailureLimit"/> measurements failed, is
/// inconclusive as soon as more than <see cref="InconclusiveLimit"/> were inconclusive, and fails when more than
/// <see cref="ConsecutiveErrorLimit"/> measurements in a row could not be taken.
/// </summary>
public sealed record AnalysisSettings
{
    /// <summary>
    /// One measurement per 5 minutes, 3 measurements, no failure and no inconclusive allowed, 4 errors in a row
    /// tolerated, up to 3 measurements in a row without data waited out.
    /// </summary>
    public static AnalysisSettings Default { get; } = new(TimeSpan.FromMinutes(5), 3, 0, 0, 4);

    /// <param name="noDataLimit">
    /// How many measurements in a row may lack data before that lack counts: until then a window without data (a
    /// source still catching up, an app that just restarted) is waited out and measured again at the next interval,
    /// without counting towards <paramref name="count"/>.
    /// </param>
    public AnalysisSettings(TimeSpan interval, int count, int failureLimit, int inconclusiveLimit, int consecutiveErrorLimit, int noDataLimit = 3)
    {
        if (interval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(interval), interval, "An analysis interval is a positive duration.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(failureLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(inconclusiveLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(consecutiveErrorLimit);
        ArgumentOutOfRangeException.ThrowIfNegative(noDataLimit);
        NoDataLimit = noDataLimit;
        Interval = interval;
        Count = count;
        FailureLimit = failureLimit;
        InconclusiveLimit = inconclusiveLimit;
        ConsecutiveErrorLimit = consecutiveErrorLimit;
    }

    public TimeSpan Interval { get; }
    public int Count { get; }
    public int FailureLimit { get; }
    public int InconclusiveLimit { get; }
    public int ConsecutiveErrorLimit { get; }
    public int NoDataLimit { get; }
}

/// <summary>
/// A gate: objectives, how their scores combine, how canary and reference are compared, and how often it is measured.
/// </summary>
public sealed record GateDefinition
{
    public GateDefinition(
        IReadOnlyList<SliObjective> objectives,
        ScoreThresholds? score = null,
        AnalysisSettings? analysis = null,
        double significance = 0.05,
        int minimumSamplesForRankTest = 5)
    {
        ArgumentNullException.ThrowIfNull(objectives);
        if (objectives.Count == 0)
        {
            throw new ArgumentException("A gate needs at least one objective.", nameof(objectives));
        }

        var duplicate = objectives.GroupBy(o => o.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Objective names must be unique; '{duplicate.Key}' appears {duplicate.Count()} times.", nameof(objectives));
        }

        if (!(significance > 0 && significance < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(significance), significance, "A significance level is between 0 and 1 (exclusive), e.g. 0.05.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minimumSamplesForRankTest, 2);
        Objectives = objectives;
        Score = score ?? ScoreThresholds.Default;
        Analysis = analysis ?? AnalysisSettings.Default;
        Significance = significance;
        MinimumSamplesForRankTest = minimumSamplesForRankTest;
    }

    public IReadOnlyList<SliObjective> Objectives { get; }
    public ScoreThresholds Score { get; }
    public AnalysisSettings Analysis { get; }

    /// <summary>
    /// A relative criterion that is violated fails only if the Mann–Whitney p-value is below this level; a difference
    /// the test cannot tell from noise is within tolerance. Default 0.05.
    /// </summary>
    public double Significance { get; }

    /// <summary>Below this many samples in either population the rank test is not run and the aggregates decide alone. Default 5.</summary>
    public int MinimumSamplesForRankTest { get; }

    /// <summary>Fired alerts that fail the gate at once (<c>gate.alerts</c>), at every measurement and during soaks; none by default.</summary>
    public AlertWatch? Alerts { get; init; }

    /// <summary>The burn-rate rule judged during soaks and analyses (<c>gate.burn_rate</c>); none by default.</summary>
    public BurnRateRule? BurnRate
    {
        get => _burnRate;
        init
        {
            if (value is not null && Objectives.FirstOrDefault(o => string.Equals(o.Name, value.Objective, StringComparison.OrdinalIgnoreCase)) is not { Unit: SliUnit.Ratio or SliUnit.Percent })
            {
                throw new ArgumentException($"The burn-rate rule reads objective '{value.Objective}', which must be an objective of this gate with unit ratio or percent (an error ratio).", nameof(value));
            }

            _burnRate = value;
        }
    }

    /// <summary>
    /// How often the watch (<see cref="Alerts"/>, <see cref="BurnRate"/>) is read while a step soaks or waits between
    /// measurements, so a fired alert or a fast burn rolls back without waiting for the analysis. Default 1 minute.
    /// </summary>
    public TimeSpan WatchInterval
    {
        get => _watchInterval;
        init => _watchInterval = value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "A watch interval is a positive duration, e.g. 1m.");
    }

    /// <summary>Whether anything is watched during soaks.</summary>
    public bool WatchesSoaks => Alerts is not null || BurnRate is not null;

    /// <summary>The objective the burn-rate rule reads.</summary>
    public SliObjective? BurnRateObjective => BurnRate is null ? null : Objectives.First(o => string.Equals(o.Name, BurnRate.Objective, StringComparison.OrdinalIgnoreCase));

    private BurnRateRule? _burnRate;
    private TimeSpan _watchInterval = TimeSpan.FromMinutes(1);
}

using System.Globalization;
using ReleaseFunctions.Core.Sli;
using ReleaseFunctions.Core.Policy;

namespace ReleaseFunctions.Core.Gates;

/// <summary>
/// One pair of a multiwindow burn-rate rule: it trips when the candidate burns its error budget at
/// <see cref="Factor"/> times the sustainable rate or faster over both the <see cref="Long"/> window (it is real) and
/// the <see cref="Short"/> one (it is still happening).
/// </summary>
public sealed record BurnRateWindows
{
    public BurnRateWindows(TimeSpan @short, TimeSpan @long, double factor)
    {
        if (@short <= TimeSpan.Zero || @long <= @short)
        {
            throw new ArgumentException($"A burn-rate window pair needs 0 < short < long; got short {@short}, long {@long}.", nameof(@long));
        }

        if (!(factor > 0 && double.IsFinite(factor)))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "A burn-rate factor is a positive number, e.g. 14.4.");
        }

        Short = @short;
        Long = @long;
        Factor = factor;
    }

    public TimeSpan Short { get; }
    public TimeSpan Long { get; }
    public double Factor { get; }

    public override string ToString() => $"{BurnRateRule.Format(Factor)}x over {PolicyValues.FormatDuration(Short)} and {PolicyValues.FormatDuration(Long)}";
}

/// <summary>
/// A gate's burn-rate rule (<c>gate.burn_rate</c>): during every soak and analysis of a step the candidate's error
/// ratio (the gate objective <see cref="Objective"/>, a ratio or a percentage) is read over each pair's short and
/// long window, divided by the error budget the SLO allows (1 - <see cref="SloTargetPercent"/>); a pair whose two
/// burn rates are both at or above its factor rolls the release back at once, as in the SRE workbook's multiwindow,
/// multi-burn-rate alerts. The candidate has existed only since the release first moved traffic, so a window reaches
/// back no further than that.
/// </summary>
public sealed record BurnRateRule
{
    /// <summary>The SRE workbook's paging pairs: 14.4x over 5 minutes and 1 hour (2% of a 30-day budget in an hour), 6x over 30 minutes and 6 hours.</summary>
    public static IReadOnlyList<BurnRateWindows> PagingWindows { get; } =
        [new(TimeSpan.FromMinutes(5), TimeSpan.FromHours(1), 14.4), new(TimeSpan.FromMinutes(30), TimeSpan.FromHours(6), 6)];

    public BurnRateRule(string objective, double sloTargetPercent, IReadOnlyList<BurnRateWindows>? windows = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objective);
        if (!(sloTargetPercent > 0 && sloTargetPercent < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(sloTargetPercent), sloTargetPercent, "An SLO target is a percentage between 0 and 100 (exclusive), e.g. 99.9.");
        }

        if (windows is { Count: 0 })
        {
            throw new ArgumentException("A burn-rate rule needs at least one window pair (or none given, for the default pairs).", nameof(windows));
        }

        Objective = objective;
        SloTargetPercent = sloTargetPercent;
        Windows = windows ?? PagingWindows;
    }

    /// <summary>The gate objective whose query reads the candidate's error ratio.</summary>
    public string Objective { get; }

    public double SloTargetPercent { get; }

    /// <summary>The error ratio the SLO allows: the burn rate 1 spends the budget exactly over the SLO period.</summary>
    public double AllowedErrorRatio => (double)(1m - (decimal)SloTargetPercent / 100m);

    public IReadOnlyList<BurnRateWindows> Windows { get; }

    /// <summary>The window durations to read, each once, shortest first.</summary>
    public IReadOnlyList<TimeSpan> ReadDurations => Windows.SelectMany(w => new[] { w.Short, w.Long }).Distinct().Order().ToArray();

    /// <summary>
    /// The window of <paramref name="duration"/> that ends at <paramref name="now"/> (excluded), reaching back no
    /// further than <paramref name="candidateSince"/>: the candidate has no errors from before it served traffic.
    /// </summary>
    public static SliWindow WindowEndingAt(DateTimeOffset now, TimeSpan duration, DateTimeOffset candidateSince)
    {
        var start = now - duration < candidateSince ? candidateSince : now - duration;
        return new SliWindow(start < now ? start : now.AddSeconds(-1), now);
    }

    /// <summary>
    /// Judges the error ratios read per window duration (a missing or null ratio is no data: that pair cannot trip,
    /// and says so). Pure.
    /// </summary>
    public BurnRateVerdict Judge(IReadOnlyDictionary<TimeSpan, ErrorRatioReading> readings, string query)
    {
        ArgumentNullException.ThrowIfNull(readings);
        var pairs = Windows.Select(w =>
        {
            var shortReading = readings.GetValueOrDefault(w.Short);
            var longReading = readings.GetValueOrDefault(w.Long);
            var shortRate = BurnRateOf(shortReading?.Ratio);
            var longRate = BurnRateOf(longReading?.Ratio);
            var tripped = shortRate >= w.Factor && longRate >= w.Factor;
            return new BurnRatePair(w.Short, w.Long, w.Factor, shortRate, longRate, shortReading?.Ratio, longReading?.Ratio, shortReading?.Window, longReading?.Window, tripped);
        }).ToArray();

        var trippedPair = pairs.FirstOrDefault(p => p.Tripped);
        var budget = $"SLO {Format(SloTargetPercent)}%, budget {Format(AllowedErrorRatio * 100)}% errors";
        string reason;
        if (trippedPair is not null)
        {
            reason = $"burn rate {Format(trippedPair.ShortBurnRate!.Value)}x over {PolicyValues.FormatDuration(trippedPair.Short)} and {Format(trippedPair.LongBurnRate!.Value)}x over {PolicyValues.FormatDuration(trippedPair.Long)}, at or above {Format(trippedPair.Factor)}x ({Objective} {Format(trippedPair.ShortErrorRatio!.Value * 100)}% / {Format(trippedPair.LongErrorRatio!.Value * 100)}%; {budget})";
        }
        else
        {
            var parts = pairs.Select(p => p.ShortBurnRate is null || p.LongBurnRate is null
                ? $"{PolicyValues.FormatDuration(p.Short)}/{PolicyValues.FormatDuration(p.Long)}: no data"
                : $"{Format(p.ShortBurnRate.Value)}x/{Format(p.LongBurnRate.Value)}x over {PolicyValues.FormatDuration(p.Short)}/{PolicyValues.FormatDuration(p.Long)} (limit {Format(p.Factor)}x)");
            reason = $"burn rate within limits: {string.Join("; ", parts)} ({budget})";
        }

        return new BurnRateVerdict(trippedPair is not null, SloTargetPercent, query, pairs, reason);
    }

    /// <summary>In decimal, so 1.44% errors against a 0.1% budget is exactly 14.4, not just below it.</summary>
    private double? BurnRateOf(double? errorRatio) => errorRatio switch
    {
        null => null,
        > -1e12 and < 1e12 and var ratio => (double)((decimal)ratio / (1m - (decimal)SloTargetPercent / 100m)),
        var wild => wild / AllowedErrorRatio, // far outside a ratio: decimal would overflow, and the precision does not matter
    };

    internal static string Format(double value) => Math.Round(value, 3).ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>The candidate's error ratio (0 to 1) read over one window, or null when the window held no data.</summary>
public sealed record ErrorRatioReading(double? Ratio, SliWindow Window, int Samples);

/// <summary>One window pair as judged: the burn rates (error ratio over the allowed ratio) and the ratios behind them.</summary>
public sealed record BurnRatePair(
    TimeSpan Short, TimeSpan Long, double Factor,
    double? ShortBurnRate, double? LongBurnRate, double? ShortErrorRatio, double? LongErrorRatio,
    SliWindow? ShortWindow, SliWindow? LongWindow, bool Tripped);

/// <summary>What the burn-rate rule found: whether a pair tripped, every pair's numbers, the query and a one-line reason.</summary>
public sealed record BurnRateVerdict(bool Tripped, double SloTargetPercent, string Query, IReadOnlyList<BurnRatePair> Windows, string Reason);

using System.Globalization;

namespace ReleaseFunctions.Core.ErrorBudget;

/// <summary>
/// The error-budget gate of a policy: an SLO (e.g. 99.9% of events good over 28 days), the queries that count good
/// and total events over the window, and the labels that exempt a release (e.g. <c>hotfix</c>).
/// A release may start while more than <see cref="MinimumRemainingPercent"/> of the budget remains.
/// </summary>
public sealed record ErrorBudgetPolicy
{
    public ErrorBudgetPolicy(
        double sloTargetPercent,
        TimeSpan window,
        string provider,
        string goodEventsQuery,
        string totalEventsQuery,
        IEnumerable<string> exemptLabels,
        double minimumRemainingPercent = 0)
    {
        if (!(sloTargetPercent > 0 && sloTargetPercent < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(sloTargetPercent), sloTargetPercent, "An SLO target is a percentage between 0 and 100 (exclusive), e.g. 99.9.");
        }

        if (window <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(window), window, "An SLO window is a positive duration, e.g. 28d.");
        }

        if (!(minimumRemainingPercent >= 0 && minimumRemainingPercent < 100))
        {
            throw new ArgumentOutOfRangeException(nameof(minimumRemainingPercent), minimumRemainingPercent, "The minimum remaining budget is a percentage from 0 to below 100.");
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(goodEventsQuery);
        ArgumentException.ThrowIfNullOrWhiteSpace(totalEventsQuery);
        ArgumentNullException.ThrowIfNull(exemptLabels);
        SloTargetPercent = sloTargetPercent;
        Window = window;
        Provider = provider;
        GoodEventsQuery = goodEventsQuery;
        TotalEventsQuery = totalEventsQuery;
        ExemptLabels = exemptLabels.ToHashSet(StringComparer.OrdinalIgnoreCase);
        MinimumRemainingPercent = minimumRemainingPercent;
    }

    public double SloTargetPercent { get; }
    public TimeSpan Window { get; }
    public string Provider { get; }
    public string GoodEventsQuery { get; }
    public string TotalEventsQuery { get; }
    public IReadOnlySet<string> ExemptLabels { get; }
    public double MinimumRemainingPercent { get; }

    internal string Describe() => $"SLO {SloTargetPercent.ToString(CultureInfo.InvariantCulture)}% over {Window.TotalDays.ToString("0.##", CultureInfo.InvariantCulture)}d";
}

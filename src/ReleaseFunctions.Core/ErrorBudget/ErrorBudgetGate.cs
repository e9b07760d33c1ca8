using System.Globalization;

namespace ReleaseFunctions.Core.ErrorBudget;

/// <summary>
/// The error budget over the SLO window. <see cref="RemainingPercent"/> is 100 when no event failed, 0 when exactly
/// the allowed share failed, negative beyond that.
/// </summary>
public sealed record ErrorBudgetStatus(long GoodEvents, long TotalEvents, double AllowedFailureRatio, double FailureRatio, double RemainingPercent);

/// <summary>What the error-budget gate decided.</summary>
public enum ErrorBudgetDecisionKind
{
    /// <summary>Budget left: the release may proceed.</summary>
    Proceed,
    /// <summary>Budget spent, but a label exempts the release.</summary>
    ProceedExempt,
    /// <summary>Budget spent, and an approver overrode the gate.</summary>
    ProceedOverridden,
    /// <summary>Budget spent (or unknown): the release waits unless an approver overrides.</summary>
    Blocked,
}

/// <summary>The decision, the budget it rests on (null when there were no events), and a one-line reason.</summary>
public sealed record ErrorBudgetDecision(ErrorBudgetDecisionKind Kind, ErrorBudgetStatus? Budget, bool OverrideRequiresApproval, string Reason)
{
    public bool MayProceed => Kind != ErrorBudgetDecisionKind.Blocked;
}

/// <summary>Decides whether a release may start given the error budget. Pure.</summary>
public static class ErrorBudgetGate
{
    /// <summary>Computes the budget from good and total event counts over the SLO window.</summary>
    public static ErrorBudgetStatus Compute(ErrorBudgetPolicy policy, long goodEvents, long totalEvents)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (totalEvents <= 0 || goodEvents < 0 || goodEvents > totalEvents)
        {
            throw new ArgumentOutOfRangeException(nameof(goodEvents), $"Event counts need 0 <= good <= total and total > 0; got good {goodEvents}, total {totalEvents}.");
        }

        // Decimal keeps "exactly the allowed share failed" at exactly 0% remaining (99.9% is not exact in binary).
        var allowed = 1m - (decimal)policy.SloTargetPercent / 100m;
        var failed = (totalEvents - goodEvents) / (decimal)totalEvents;
        return new ErrorBudgetStatus(goodEvents, totalEvents, (double)allowed, (double)failed, (double)(100m * (1m - failed / allowed)));
    }

    /// <summary>
    /// Decides for a release with <paramref name="labels"/>. No events in the window means the budget is unknown,
    /// which blocks like a spent budget (no data is never a pass). <paramref name="overrideApprovedBy"/> is the
    /// approver who granted an override, if one did.
    /// </summary>
    public static ErrorBudgetDecision Decide(ErrorBudgetPolicy policy, long goodEvents, long totalEvents, IEnumerable<string> labels, string? overrideApprovedBy = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(labels);
        ErrorBudgetStatus? budget = null;
        string state;
        if (totalEvents == 0 && goodEvents == 0)
        {
            state = $"no events in the {policy.Describe()} window, so the budget is unknown";
        }
        else
        {
            budget = Compute(policy, goodEvents, totalEvents);
            var remaining = $"{Percent(budget.RemainingPercent)} of the error budget remains ({policy.Describe()}: {Percent(budget.FailureRatio * 100)} of {totalEvents} events failed, {Percent(budget.AllowedFailureRatio * 100)} allowed)";
            if (budget.RemainingPercent > policy.MinimumRemainingPercent)
            {
                return new ErrorBudgetDecision(ErrorBudgetDecisionKind.Proceed, budget, false, remaining);
            }

            state = policy.MinimumRemainingPercent > 0 ? $"{remaining}, at or below the minimum of {Percent(policy.MinimumRemainingPercent)}" : $"{remaining}: spent";
        }

        var exemptBy = labels.FirstOrDefault(policy.ExemptLabels.Contains);
        if (exemptBy is not null)
        {
            return new ErrorBudgetDecision(ErrorBudgetDecisionKind.ProceedExempt, budget, false, $"{state}; label '{exemptBy}' exempts this release");
        }

        if (!string.IsNullOrWhiteSpace(overrideApprovedBy))
        {
            return new ErrorBudgetDecision(ErrorBudgetDecisionKind.ProceedOverridden, budget, true, $"{state}; overridden by {overrideApprovedBy}");
        }

        var exemptions = policy.ExemptLabels.Count > 0 ? $" or a label from [{string.Join(", ", policy.ExemptLabels)}]" : string.Empty;
        return new ErrorBudgetDecision(ErrorBudgetDecisionKind.Blocked, budget, true, $"{state}; the release waits for an approved override{exemptions}");
    }

    private static string Percent(double value) => value.ToString("0.###", CultureInfo.InvariantCulture) + "%";
}

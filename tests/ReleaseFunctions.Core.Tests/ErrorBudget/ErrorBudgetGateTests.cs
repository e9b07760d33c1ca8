using ReleaseFunctions.Core.ErrorBudget;

namespace ReleaseFunctions.Core.Tests.ErrorBudget;

public class ErrorBudgetGateTests
{
    private static readonly ErrorBudgetPolicy Policy = new(99.9, TimeSpan.FromDays(28), "prometheus", "good", "total", ["hotfix"]);

    [Fact]
    public void Budget_is_computed_from_good_and_total_events()
    {
        // 99.9% over 1,000,000 events allows 1,000 failures; 250 failed → 75% of the budget remains.
        var budget = ErrorBudgetGate.Compute(Policy, 999_750, 1_000_000);

        Assert.Equal(0.001, budget.AllowedFailureRatio, 12);
        Assert.Equal(0.00025, budget.FailureRatio, 12);
        Assert.Equal(75, budget.RemainingPercent, 9);
    }

    [Fact]
    public void Budget_left_lets_the_release_proceed()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 999_750, 1_000_000, []);

        Assert.Equal(ErrorBudgetDecisionKind.Proceed, decision.Kind);
        Assert.True(decision.MayProceed);
        Assert.False(decision.OverrideRequiresApproval);
        Assert.StartsWith("75% of the error budget remains", decision.Reason);
    }

    [Fact]
    public void Spent_budget_blocks_and_says_an_override_needs_approval()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 998_500, 1_000_000, ["feature"]);

        Assert.Equal(ErrorBudgetDecisionKind.Blocked, decision.Kind);
        Assert.False(decision.MayProceed);
        Assert.True(decision.OverrideRequiresApproval);
        Assert.Equal(-50, decision.Budget!.RemainingPercent, 9);
        Assert.Contains("waits for an approved override or a label from [hotfix]", decision.Reason);
    }

    [Fact]
    public void Exactly_spent_budget_blocks()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 999_000, 1_000_000, []);

        Assert.Equal(ErrorBudgetDecisionKind.Blocked, decision.Kind);
        Assert.Equal(0, decision.Budget!.RemainingPercent);
    }

    [Fact]
    public void An_exempt_label_lets_a_hotfix_through()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 990_000, 1_000_000, ["Hotfix"]);

        Assert.Equal(ErrorBudgetDecisionKind.ProceedExempt, decision.Kind);
        Assert.Contains("label 'Hotfix' exempts", decision.Reason);
    }

    [Fact]
    public void An_approved_override_proceeds_and_is_recorded_as_such()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 990_000, 1_000_000, [], overrideApprovedBy: "carol");

        Assert.Equal(ErrorBudgetDecisionKind.ProceedOverridden, decision.Kind);
        Assert.True(decision.OverrideRequiresApproval);
        Assert.EndsWith("overridden by carol", decision.Reason);
    }

    [Fact]
    public void No_events_is_an_unknown_budget_and_blocks()
    {
        var decision = ErrorBudgetGate.Decide(Policy, 0, 0, []);

        Assert.Equal(ErrorBudgetDecisionKind.Blocked, decision.Kind);
        Assert.Null(decision.Budget);
        Assert.Contains("budget is unknown", decision.Reason);
    }

    [Fact]
    public void A_minimum_remaining_share_blocks_before_the_budget_is_gone()
    {
        var strict = new ErrorBudgetPolicy(99.9, TimeSpan.FromDays(28), "prometheus", "good", "total", [], minimumRemainingPercent: 80);

        Assert.Equal(ErrorBudgetDecisionKind.Blocked, ErrorBudgetGate.Decide(strict, 999_750, 1_000_000, []).Kind);
    }

    [Fact]
    public void Impossible_counts_and_targets_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ErrorBudgetGate.Compute(Policy, 11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErrorBudgetPolicy(100, TimeSpan.FromDays(28), "p", "g", "t", []));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ErrorBudgetPolicy(99.9, TimeSpan.Zero, "p", "g", "t", []));
    }
}

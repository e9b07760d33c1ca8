using ReleaseFunctions.Core.Preflight;

namespace ReleaseFunctions.Core.Tests.Preflight;

public class PreflightPolicyTests
{
    private static CommitCheck Run(string name, CommitCheckState state, string detail) => new(name, CommitCheckKind.CheckRun, state, detail);
    private static CommitCheck Status(string name, CommitCheckState state, string detail) => new(name, CommitCheckKind.Status, state, detail);

    private static readonly PreflightPolicy BuildAndTest = new(["build", "test"], TimeSpan.FromMinutes(20));

    [Fact]
    public void Required_checks_that_passed_pass_and_other_checks_do_not_matter()
    {
        var verdict = BuildAndTest.Judge(
            [Run("build", CommitCheckState.Passed, "completed/success"), Status("test", CommitCheckState.Passed, "success"), Run("lint", CommitCheckState.Failed, "completed/failure")],
            [], TimeSpan.Zero);

        Assert.Equal(PreflightOutcome.Pass, verdict.Outcome);
        Assert.Equal("2 required check(s) passed", verdict.Reason);
        Assert.Equal(["build", "test"], verdict.Passed.Select(c => c.Name));
    }

    [Fact]
    public void A_failed_required_check_fails_at_once_naming_it_even_while_others_are_pending()
    {
        var verdict = BuildAndTest.Judge([Run("build", CommitCheckState.Failed, "completed/timed_out"), Run("test", CommitCheckState.Pending, "in_progress")], [], TimeSpan.Zero);

        Assert.Equal(PreflightOutcome.Fail, verdict.Outcome);
        Assert.Equal("required check(s) failed: build (completed/timed_out)", verdict.Reason);
    }

    [Fact]
    public void A_pending_or_unreported_required_check_waits_until_the_timeout_then_fails_naming_each()
    {
        IReadOnlyList<CommitCheck> reported = [Run("build", CommitCheckState.Pending, "queued")];

        var waiting = BuildAndTest.Judge(reported, [], TimeSpan.FromMinutes(5));
        Assert.Equal(PreflightOutcome.Pending, waiting.Outcome);
        Assert.Equal("waiting for required check(s), 5m of 20m: pending: build (queued); not reported: test", waiting.Reason);

        var late = BuildAndTest.Judge(reported, [], TimeSpan.FromMinutes(20));
        Assert.Equal(PreflightOutcome.Fail, late.Outcome);
        Assert.Equal("required check(s) still not passed after 20m: pending: build (queued); not reported: test", late.Reason);
        Assert.Equal(["test"], late.Missing);
    }

    [Fact]
    public void A_check_reported_twice_counts_at_its_worst()
    {
        var verdict = BuildAndTest.Judge(
            [Status("build", CommitCheckState.Passed, "success"), Run("build", CommitCheckState.Failed, "completed/cancelled"), Run("test", CommitCheckState.Passed, "completed/success")],
            [], TimeSpan.Zero);

        Assert.Equal(PreflightOutcome.Fail, verdict.Outcome);
        Assert.Equal(["test"], verdict.Passed.Select(c => c.Name));
    }

    [Fact]
    public void Without_named_checks_every_reported_check_is_required()
    {
        var all = new PreflightPolicy([]);

        Assert.Equal(PreflightOutcome.Pass, all.Judge([], [], TimeSpan.Zero).Outcome);
        Assert.Equal(PreflightOutcome.Pending, all.Judge([Run("e2e", CommitCheckState.Pending, "queued")], [], TimeSpan.Zero).Outcome);
        var failed = all.Judge([Run("e2e", CommitCheckState.Failed, "completed/failure"), Status("ci/jenkins", CommitCheckState.Passed, "success")], [], TimeSpan.Zero);
        Assert.Equal("required check(s) failed: e2e (completed/failure)", failed.Reason);
    }

    [Fact]
    public void Open_alerts_at_or_above_the_severity_block_for_an_override_or_fail_as_the_policy_says()
    {
        IReadOnlyList<CommitCheck> green = [Run("build", CommitCheckState.Passed, "completed/success"), Run("test", CommitCheckState.Passed, "completed/success")];
        IReadOnlyList<SecurityAlert> alerts =
        [
            new(SecurityAlertKind.CodeScanning, 7, SecuritySeverity.High, "SQL injection in src/Orders.cs"),
            new(SecurityAlertKind.CodeScanning, 8, SecuritySeverity.Medium, "Weak hash in src/Hash.cs"),
            new(SecurityAlertKind.Dependabot, 3, SecuritySeverity.High, "Prototype pollution (npm/lodash)"),
        ];
        var policy = new PreflightPolicy(["build", "test"], codeScanningAt: SecuritySeverity.High, dependabotAt: SecuritySeverity.Critical);

        var blocked = policy.Judge(green, alerts, TimeSpan.Zero);
        Assert.Equal(PreflightOutcome.Blocked, blocked.Outcome);
        Assert.Equal("1 open security alert(s) at or above the policy's severity: code scanning #7 high: SQL injection in src/Orders.cs; an override needs the approvals quorum", blocked.Reason);

        var failing = new PreflightPolicy(["build", "test"], codeScanningAt: SecuritySeverity.Medium, onSecurityAlerts: SecurityAlertAction.Fail).Judge(green, alerts, TimeSpan.Zero);
        Assert.Equal(PreflightOutcome.Fail, failing.Outcome);
        Assert.Equal([7, 8], failing.BlockingAlerts.Select(a => a.Number));

        var clean = policy.Judge(green, [alerts[1]], TimeSpan.Zero);
        Assert.Equal("2 required check(s) passed; no open code scanning alert at high or above; no open Dependabot alert at critical or above", clean.Reason);
    }

    [Fact]
    public void Invariants_are_checked_when_built()
    {
        Assert.Throws<ArgumentException>(() => new PreflightPolicy(["build", "Build"]));
        Assert.Throws<ArgumentException>(() => new PreflightPolicy([" "]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreflightPolicy([], pollInterval: TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PreflightPolicy([], pendingTimeout: TimeSpan.FromMinutes(-1)));
    }
}

using System.Text.Json;
using ReleaseFunctions.Core.Preflight;
using ReleaseFunctions.Core.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// The pre-flight gate (<c>preflight</c>) through the engine: required checks on the merge commit, and open security
/// alerts, judged before any traffic moves. A red or missing check fails the release naming each; a pending one is
/// waited for up to the policy's timeout; open alerts hold the release for the approvals quorum's override.
/// </summary>
public sealed class PreflightGateTests
{
    private const string Preflight = """
        preflight:
          checks: [build, test]
          pending_timeout: 20m
          poll_interval: 1m
          code_scanning: high
          dependabot: critical
        """;

    private static CommitCheck Run(string name, CommitCheckState state, string detail) => new(name, CommitCheckKind.CheckRun, state, detail, $"https://github.com/contoso/shop/runs/{name}");

    [Fact]
    public async Task A_red_required_check_fails_the_release_before_the_first_shift_naming_each_check()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: Preflight));
        h.Preflight.Checks = () => [Run("build", CommitCheckState.Failed, "completed/failure"), Run("test", CommitCheckState.Failed, "completed/timed_out"), Run("lint", CommitCheckState.Passed, "completed/success")];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("required check(s) failed: build (completed/failure), test (completed/timed_out)", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(h.Target.Applied);
        var failed = Assert.Single(await h.AuditAsync(id), r => r.Kind == "preflight-failed");
        using var evidence = JsonDocument.Parse(failed.EvidenceJson);
        Assert.Equal(["build", "test"], evidence.RootElement.GetProperty("failed").EnumerateArray().Select(c => c.GetProperty("name").GetString()));
        Assert.Equal("https://github.com/contoso/shop/runs/build", evidence.RootElement.GetProperty("failed")[0].GetProperty("url").GetString());
        Assert.Contains("checks contoso/shop@0123456789abcdef0123456789abcdef01234567", h.Preflight.Asked);
        // The PR comment lists it with the gates.
        var published = h.Notifier.Updates.Last();
        var gate = Assert.Single(published.Gates);
        Assert.Equal(("pre-flight", 0, "Fail"), (gate.Stage, gate.Step, gate.Outcome));
        Assert.Contains("build (completed/failure)", gate.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pending_checks_are_waited_for_and_the_release_starts_when_they_pass()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: Preflight));
        var greenAt = h.Clock.GetUtcNow().AddMinutes(3);
        h.Preflight.Checks = () => h.Clock.GetUtcNow() >= greenAt
            ? [Run("build", CommitCheckState.Passed, "completed/success"), Run("test", CommitCheckState.Passed, "completed/success")]
            : [Run("build", CommitCheckState.Pending, "in_progress")];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var audit = await h.AuditAsync(id);
        // Recorded when what it waits for changes, not at every poll of the four.
        var pending = Assert.Single(audit, r => r.Kind == "preflight-pending");
        Assert.Contains("pending: build (in_progress); not reported: test", pending.Reason, StringComparison.Ordinal);
        var passed = Assert.Single(audit, r => r.Kind == "preflight-passed");
        Assert.Equal(greenAt, passed.At);
        Assert.Equal(greenAt, audit.First(r => r.Kind == "traffic-shifted").At);
        Assert.Equal(4, h.Preflight.Asked.Count(a => a.StartsWith("checks ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_check_still_pending_at_the_timeout_fails_the_release_without_moving_traffic()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: Preflight));
        var start = h.Clock.GetUtcNow();
        h.Preflight.Checks = () => [Run("build", CommitCheckState.Passed, "completed/success"), Run("test", CommitCheckState.Pending, "queued")];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("required check(s) still not passed after 20m: pending: test (queued)", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(start.AddMinutes(20), Assert.Single(await h.AuditAsync(id), r => r.Kind == "preflight-failed").At);
        Assert.Empty(h.Target.Applied);
    }

    [Fact]
    public async Task Open_security_alerts_hold_the_release_until_the_approvals_quorum_overrides()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraStage: Policies.Approvals, extraPolicy: Preflight));
        h.Directory.Members["contoso/sre"] = ["alice"];
        h.Preflight.Checks = () => [Run("build", CommitCheckState.Passed, "completed/success"), Run("test", CommitCheckState.Passed, "completed/success")];
        h.Preflight.Alerts = kind => kind == SecurityAlertKind.CodeScanning
            ? [new SecurityAlert(kind, 12, SecuritySeverity.Critical, "Deserialization of untrusted data in src/Api.cs", "https://github.com/contoso/shop/security/code-scanning/12")]
            : [new SecurityAlert(kind, 4, SecuritySeverity.High, "ReDoS (nuget/Some.Parser)")]; // below the Dependabot severity
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);

        var blocked = Assert.Single(await h.AuditAsync(id), r => r.Kind == "preflight-blocked");
        Assert.Contains("code scanning #12 critical: Deserialization of untrusted data in src/Api.cs", blocked.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("ReDoS", blocked.Reason, StringComparison.Ordinal);
        Assert.Contains("CodeScanning High", h.Preflight.Asked);
        Assert.Contains("Dependabot Critical", h.Preflight.Asked);

        await h.CommandAsync(id, ReleaseCommandKind.Resume, "alice");
        await h.CommandAsync(id, ReleaseCommandKind.Approve, "carol"); // the author cannot override for herself
        Assert.Empty(h.Target.Applied);
        Assert.DoesNotContain(await h.AuditAsync(id), r => r.Kind == "preflight-overridden");

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice", "accepted risk: SEC-1234");
        var overridden = Assert.Single(await h.AuditAsync(id), r => r.Kind == "preflight-overridden");
        Assert.Contains("overridden by alice", overridden.Reason, StringComparison.Ordinal);
        Assert.Contains("SEC-1234", overridden.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_on_security_alerts_fail_an_open_alert_fails_the_release()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: Preflight + "\n  on_security_alerts: fail"));
        h.Preflight.Checks = () => [Run("build", CommitCheckState.Passed, "completed/success"), Run("test", CommitCheckState.Passed, "completed/success")];
        h.Preflight.Alerts = kind => [new SecurityAlert(kind, 9, SecuritySeverity.Critical, "Known vulnerable package (npm/left-pad)")];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Failed, outcome.Status);
        Assert.Contains("2 open security alert(s)", outcome.Reason, StringComparison.Ordinal);
        Assert.Empty(h.Target.Applied);
    }
}

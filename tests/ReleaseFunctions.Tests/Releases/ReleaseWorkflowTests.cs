using ReleaseFunctions.Core.Audit;
using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Releases;

public sealed class ReleaseWorkflowTests
{
    /// <summary>The harness's first day (Monday 2026-11-23), as a freeze window writes it.</summary>
    private static readonly string FreezeDay = TestClock.Day(2026, 11, 23).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_healthy_canary_goes_5_25_50_100_with_soaks_and_passing_gates()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, outcome.Status);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Shift, 25), (TrafficAction.Shift, 50), (TrafficAction.Promote, 100)], h.Target.Applied);
        var audit = await h.AuditAsync(id);
        Assert.True(AuditChain.Verify(audit, InMemoryLedger.ChainKey).IsIntact);
        var shifts = audit.Where(r => r.Kind == "traffic-shifted").ToList();
        Assert.Equal(3, shifts.Count);
        Assert.Equal(TimeSpan.FromMinutes(10), shifts[1].At - shifts[0].At);
        Assert.Equal(TimeSpan.FromMinutes(10), shifts[2].At - shifts[1].At);
        Assert.Equal(3, audit.Count(r => r.Kind == "gate-verdict" && r.Reason.Contains("Pass") || r.Kind == "gate-verdict" && r.Reason.Contains("pass")));
        Assert.Equal("promoted", audit[^1].Kind);
        var record = await h.Ledger.GetReleaseAsync(id, default);
        Assert.Equal(ReleaseStatus.Promoted, record!.Status);
        Assert.Equal(100, record.WeightPercent);
        Assert.Contains(h.Notifier.Updates, u => u.Status == ReleaseStatus.Promoted);
    }

    [Fact]
    public async Task A_failing_gate_at_25_percent_rolls_back_to_0_verified_with_the_evidence()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("error_rate", outcome.Reason);
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Shift, 25), (TrafficAction.Rollback, 0)], h.Target.Applied);
        Assert.Equal(0, h.Target.Weight);
        var audit = await h.AuditAsync(id);
        var verdict = audit.Last(r => r.Kind == "gate-measurement");
        Assert.Contains("4.2%", verdict.Reason);
        Assert.Contains("\"outcome\"", verdict.EvidenceJson);
        Assert.Contains(audit, r => r.Kind == "rolled-back" && r.Reason.Contains("verified"));
        Assert.Equal(ReleaseStatus.RolledBack, (await h.Ledger.GetReleaseAsync(id, default))!.Status);
    }

    [Fact]
    public async Task A_rollback_the_target_reports_done_but_a_separate_read_does_not_show_is_not_recorded_as_verified()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Sli.Canary = (_, weight) => weight >= 25 ? 0.042 : 0.001;
        h.Target.ReadsBack = (shift, weight) => shift.Action == TrafficAction.Rollback ? 25 : weight; // the router never moved back
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.NotEqual(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("rollback failed", outcome.Reason);
        Assert.Contains("25%", outcome.Reason);
        Assert.DoesNotContain(await h.AuditAsync(id), r => r.Kind == "rolled-back");
    }

    [Theory]
    [InlineData(ReleaseCommandKind.Promote, ReleaseStatus.Promoted)]
    [InlineData(ReleaseCommandKind.Rollback, ReleaseStatus.RolledBack)]
    public async Task No_data_is_inconclusive_and_the_release_waits_for_a_decision(ReleaseCommandKind decision, ReleaseStatus expected)
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Sli.Canary = (_, weight) => weight == 25 ? null : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id, p => p?.Status == ReleaseStatus.AwaitingDecision);
        var waiting = await h.ProgressAsync(id);
        Assert.Equal(ReleaseStatus.AwaitingDecision, waiting!.Status);
        Assert.Contains("/promote", waiting.NextStep);
        Assert.False(await h.AdvanceToNextTimerAsync(id)); // nothing moves on by itself

        await h.CommandAsync(id, decision, "alice", "looked at the dashboards");
        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(expected, outcome.Status);
        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Kind == "gate-verdict" && r.Reason.Contains("nconclusive"));
        Assert.Contains(audit, r => r.Kind == "decision" && r.Actor == "alice");
    }

    [Fact]
    public async Task Approvals_count_only_from_allowed_people_and_refusals_are_said()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraStage: Policies.Approvals));
        h.Directory.Members["contoso/sre"] = ["dave"];
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge(author: "alice"));

        await h.IdleAsync(id);
        Assert.Equal(ReleaseStatus.WaitingForApproval, (await h.ProgressAsync(id))!.Status);
        Assert.Empty(h.Target.Applied);

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "mallory");
        await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice");
        Assert.Empty(h.Target.Applied);
        await h.CommandAsync(id, ReleaseCommandKind.Approve, "dave", "LGTM");

        await h.RunAsync(id);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var audit = await h.AuditAsync(id);
        var refused = audit.Where(r => r.Kind == "command-refused").ToList();
        Assert.Equal(2, refused.Count);
        Assert.Contains("mallory", refused[0].Reason);
        Assert.Contains("not", refused[0].Reason);
        Assert.Contains("self-approval", refused[1].Reason);
        Assert.Contains(audit, r => r.Kind == "approval-granted" && r.EvidenceJson.Contains("dave"));
        Assert.Contains(h.Notifier.Updates, u => u.NextStep.Contains("refused"));
    }

    [Fact]
    public async Task An_approval_timeout_does_what_the_policy_says()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraStage: Policies.Approvals));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("no approval within 01:00:00", outcome.Reason);
        Assert.Equal(ReleaseWorkflowHarness.Start.AddHours(1), (await h.AuditAsync(id)).Single(r => r.Kind == "approval-timed-out").At);
        Assert.DoesNotContain(h.Target.Applied, a => a.Weight > 0);
    }

    [Fact]
    public async Task Pause_stops_the_soak_clock_until_resume()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);
        h.Clock.Advance(TimeSpan.FromMinutes(4));

        await h.CommandAsync(id, ReleaseCommandKind.Pause, "alice", "checking logs");
        Assert.Equal(ReleaseStatus.Paused, (await h.ProgressAsync(id))!.Status);
        h.Clock.Advance(TimeSpan.FromHours(3));
        await h.IdleAsync(id);
        Assert.Equal([(TrafficAction.Shift, 5)], h.Target.Applied);

        await h.CommandAsync(id, ReleaseCommandKind.Resume, "alice");
        Assert.True(await h.AdvanceToNextTimerAsync(id));
        var audit = await h.AuditAsync(id);
        var resumed = audit.Single(r => r.Kind == "resumed").At;
        var measured = audit.First(r => r.Kind == "gate-measurement").At;
        Assert.Equal(TimeSpan.FromMinutes(6), measured - resumed); // 10m soak: 4m before the pause, 6m after

        await h.RunAsync(id);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
    }

    [Fact]
    public async Task Promote_skips_the_rest_of_the_soak()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);

        await h.CommandAsync(id, ReleaseCommandKind.Promote, "alice");
        Assert.Equal([(TrafficAction.Shift, 5), (TrafficAction.Shift, 25)], h.Target.Applied);
        Assert.Equal(ReleaseWorkflowHarness.Start, (await h.AuditAsync(id)).Last(r => r.Kind == "traffic-shifted").At);
    }

    [Theory]
    [InlineData(ReleaseCommandKind.Rollback, ReleaseStatus.RolledBack)]
    [InlineData(ReleaseCommandKind.Abort, ReleaseStatus.Aborted)]
    public async Task Rollback_and_abort_move_traffic_back_at_once(ReleaseCommandKind command, ReleaseStatus expected)
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.AdvanceToNextTimerAsync(id);
        await h.IdleAsync(id);

        await h.SendAsync(id, command, "alice", "bad smell");
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(expected, outcome.Status);
        Assert.Contains("alice", outcome.Reason);
        Assert.Equal(0, h.Target.Weight);
        Assert.Equal((TrafficAction.Rollback, 0), h.Target.Applied[^1]);
    }

    [Fact]
    public async Task A_freeze_window_holds_the_release_until_it_ends()
    {
        var freeze = $"""
            freeze:
              time_zone: UTC
              windows:
                - name: change-freeze
                  dates: "{FreezeDay}..{FreezeDay}"
            """;
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: freeze));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.IdleAsync(id);
        Assert.Empty(h.Target.Applied);
        Assert.True(await h.AdvanceToNextTimerAsync(id));
        await h.IdleAsync(id);

        var firstShift = (await h.AuditAsync(id)).First(r => r.Kind == "traffic-shifted");
        Assert.Equal(TestClock.At(2026, 11, 24), firstShift.At);
        Assert.Contains(await h.AuditAsync(id), r => r.Kind == "freeze-hold" && r.Reason.Contains("change-freeze"));
    }

    [Fact]
    public async Task An_authorised_override_lets_a_release_through_a_freeze_and_others_are_refused()
    {
        var freeze = $"""
            freeze:
              time_zone: UTC
              windows:
                - name: change-freeze
                  dates: "{FreezeDay}..{FreezeDay}"
            """;
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraStage: Policies.Approvals, extraPolicy: freeze));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "mallory");
        await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice", "hotfix for the outage");

        var audit = await h.AuditAsync(id);
        Assert.Contains(audit, r => r.Kind == "command-refused" && r.Actor == "mallory");
        Assert.Contains(audit, r => r.Kind == "freeze-overridden" && r.Actor == "alice" && r.At == ReleaseWorkflowHarness.Start);
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "hotfix" }, true)]
    public async Task A_spent_error_budget_blocks_unless_the_release_is_exempt(string[] labels, bool proceeds)
    {
        var budget = """
            error_budget:
              slo: 99.9%
              window: 28d
              provider: prometheus
              good_events: good
              total_events: total
              exempt_labels: [hotfix]
            """;
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: budget));
        h.Sli.Count = q => q == "good" ? 99_000 : 100_000; // 1% failed against a 0.1% budget
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge("carol", labels));

        await h.IdleAsync(id);

        Assert.Equal(proceeds, h.Target.Applied.Count > 0);
        var decision = (await h.AuditAsync(id)).Single(r => r.Kind == "error-budget");
        Assert.Contains(proceeds ? "hotfix" : "spent", decision.Reason, StringComparison.OrdinalIgnoreCase);
        if (!proceeds)
        {
            await h.CommandAsync(id, ReleaseCommandKind.Abort, "alice");
            Assert.Equal(ReleaseStatus.Aborted, (await h.OutcomeAsync(id)).Status);
        }
    }

    [Fact]
    public async Task Blue_green_swaps_after_idle_checks_and_swaps_back_when_the_post_swap_check_fails()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.BlueGreen);
        h.Sli.Canary = (_, weight) => weight == 100 ? 0.05 : 0.001;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Equal([(TrafficAction.Swap, 100), (TrafficAction.Rollback, 0)], h.Target.Applied);
        var audit = await h.AuditAsync(id);
        var swap = audit.First(r => r.Kind == "traffic-shifted");
        Assert.Equal(ReleaseWorkflowHarness.Start.AddMinutes(5), swap.At);
    }

    [Fact]
    public async Task A_target_that_keeps_failing_is_retried_with_backoff_then_the_release_rolls_back_and_says_why()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Target.Fails = s => s.CandidateWeightPercent == 25 ? "the router refused the new weights" : null;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("failed after retries", outcome.Reason);
        Assert.Contains("the router refused the new weights", outcome.Reason);
        Assert.Equal(4, h.Target.Calls.Count(c => c.CandidateWeightPercent == 25));
        Assert.Single(h.Target.Calls.Where(c => c.CandidateWeightPercent == 25).Select(c => c.IdempotencyKey).Distinct());
        Assert.Equal(0, h.Target.Weight);
    }

    [Fact]
    public async Task A_notifier_that_is_down_does_not_stop_the_release_and_the_trail_says_so()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        h.Notifier.Down = true;
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        Assert.Contains(await h.AuditAsync(id), r => r.Kind == "notification-failed" && r.Reason.Contains("503"));
    }
}

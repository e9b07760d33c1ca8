using ReleaseFunctions.Core.Ports;
using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>What keeps a release safe beyond its own course: lanes, freeze windows mid-rollout, override quorum, a dead holder, missing data.</summary>
public sealed class ReleaseSafetyTests
{
    private static readonly DateTimeOffset Start = ReleaseWorkflowHarness.Start;

    private static ReleaseRequest MergeOf(int pullRequest, char sha, TimeSpan mergedBeforeStart)
        => new("contoso/shop", pullRequest, new string(sha, 40), "shop", $"Change {pullRequest}", "carol", Start - mergedBeforeStart, []);

    [Fact]
    public async Task With_supersede_the_newest_merge_wins_whatever_the_order_of_arrival()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: "concurrency: supersede"));
        var oldest = MergeOf(1, 'a', TimeSpan.FromMinutes(30));
        var middle = MergeOf(2, 'b', TimeSpan.FromMinutes(15));
        var newest = MergeOf(3, 'c', TimeSpan.FromMinutes(5));
        var late = MergeOf(4, 'd', TimeSpan.FromMinutes(20)); // merged before the newest, arriving after it

        var a = await h.StartReleaseAsync(oldest);
        await h.IdleAsync(a);
        Assert.Equal(5, h.Target.Weight);
        // The oldest release's traffic takes a while to go back (its router refuses for now), so it holds the lane
        // while the others arrive and the middle one is stopped while still queued.
        h.Target.Fails = shift => shift.ReleaseId == a && shift.Action == TrafficAction.Rollback ? "the router is busy" : null;
        var b = await h.StartReleaseAsync(middle);
        await h.IdleAsync(b, queued: true);
        var c = await h.StartReleaseAsync(newest);

        var second = await h.OutcomeAsync(b);
        Assert.Equal(ReleaseStatus.Aborted, second.Status); // stopped while queued: an older merge never deploys over a newer one
        Assert.Contains("superseded by cccccccccccc", second.Reason);
        Assert.DoesNotContain(await h.AuditAsync(b), r => r.Kind == "traffic-shifted");

        h.Target.Fails = _ => null;
        await h.RunAsync(a);
        var first = await h.OutcomeAsync(a);
        Assert.Equal(ReleaseStatus.Aborted, first.Status);
        Assert.Contains("superseded", first.Reason);
        Assert.Contains(await h.AuditAsync(a), r => r.Kind == "traffic-shifted" && r.Reason.Contains("rollback"));

        await h.IdleAsync(c);
        var d = await h.StartReleaseAsync(late);
        var refused = await h.OutcomeAsync(d);
        Assert.Equal(ReleaseStatus.Aborted, refused.Status);
        Assert.Contains("superseded: cccccccccccc", refused.Reason);

        await h.RunAsync(c);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(c)).Status);
        Assert.Equal(100, h.Target.Weight);
        Assert.All(h.Target.Calls.Where(s => s.ReleaseId == b || s.ReleaseId == d), _ => Assert.Fail("a superseded release moved traffic"));
    }

    private static string FreezeFrom1015(string duringRollout) => $"""
        freeze:
          time_zone: UTC
          during_rollout: {duringRollout}
          windows:
            - name: mid-morning
              days: [{Start.DayOfWeek.ToString()[..3].ToLowerInvariant()}]
              hours: "10:15-11:00"
        """;

    [Fact]
    public async Task A_freeze_window_opening_mid_rollout_holds_the_release_at_its_weight()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: FreezeFrom1015("hold")));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id, p => p?.NextStep.Contains("mid-morning") == true);
        Assert.Equal(25, h.Target.Weight); // 5% at 10:00, 25% at 10:10, the 50% step due at 10:20 falls in the window
        Assert.Contains(await h.AuditAsync(id), r => r.Kind == "freeze-hold" && r.Reason.Contains("held at 25%"));

        await h.RunAsync(id);
        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var fifty = (await h.AuditAsync(id)).First(r => r.Kind == "traffic-shifted" && r.Reason.Contains("→ 50%"));
        Assert.Equal(Start.Date.AddHours(11), fifty.At.UtcDateTime);
    }

    [Fact]
    public async Task A_freeze_window_opening_mid_rollout_rolls_back_when_the_policy_says_so()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraPolicy: FreezeFrom1015("rollback")));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("mid-morning", outcome.Reason);
        Assert.Equal(0, h.Target.Weight);
        Assert.Contains(await h.AuditAsync(id), r => r.Kind == "freeze-rollback");
    }

    [Fact]
    public async Task An_override_needs_the_quorum_the_policy_asks_for()
    {
        var freeze = $"""
            freeze:
              time_zone: UTC
              windows:
                - name: change-freeze
                  dates: "{Start:yyyy-MM-dd}..{Start:yyyy-MM-dd}"
            """;
        const string twoApprovers = """
            approvals:
              - users: [alice, bob]
                quorum: 2
                timeout: 4h
                on_timeout: reject
            """;
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary(extraStage: twoApprovers, extraPolicy: freeze));
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice");
        Assert.DoesNotContain(await h.AuditAsync(id), r => r.Kind == "freeze-overridden");
        Assert.Contains(await h.AuditAsync(id), r => r.Kind == "override-approval-given" && r.Reason.Contains("1 more"));
        Assert.Empty(h.Target.Applied);

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "alice"); // the same person twice is still one
        Assert.DoesNotContain(await h.AuditAsync(id), r => r.Kind == "freeze-overridden");

        await h.CommandAsync(id, ReleaseCommandKind.Approve, "bob");
        var overridden = Assert.Single(await h.AuditAsync(id), r => r.Kind == "freeze-overridden");
        Assert.Contains("alice, bob", overridden.Reason);
    }

    [Fact]
    public async Task A_terminated_release_leaves_its_lane_and_its_traffic_goes_back()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var first = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(first);
        Assert.Equal(5, h.Target.Weight);
        var second = await h.StartReleaseAsync(ReleaseWorkflowHarness.LaterMerge());
        await h.IdleAsync(second, queued: true);

        await h.Client.TerminateInstanceAsync(first, "stuck, terminated by an operator");
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await h.Client.WaitForInstanceCompletionAsync(first, false, cts.Token);
        }

        h.Clock.Advance(ReleaseLaneOrchestrator.HolderWatchInterval); // the lane's watch finds the holder gone
        await h.IdleAsync(second);

        var record = (await h.Ledger.GetReleaseAsync(first, default))!;
        Assert.Equal(ReleaseStatus.RolledBack, record.Status);
        var rescued = (await h.AuditAsync(first))[^1];
        Assert.Equal("release-lane", rescued.Actor);
        Assert.Contains("ended Terminated", rescued.Reason);
        Assert.Contains(h.Target.Calls, s => s.ReleaseId == first && s.Action == TrafficAction.Rollback);
        Assert.Contains(h.Target.Calls, s => s.ReleaseId == second && s.Action == TrafficAction.Shift);
        Assert.Equal(5, h.Target.Weight); // the second release's first step, after the first one's traffic went back
    }

    [Fact]
    public async Task Windows_without_data_are_waited_out_before_the_gate_decides()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var calls = 0;
        h.Sli.Canary = (_, _) => Interlocked.Increment(ref calls) <= 2 ? null : 0.001; // the app just restarted: nothing measured yet
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());

        await h.RunAsync(id);

        Assert.Equal(ReleaseStatus.Promoted, (await h.OutcomeAsync(id)).Status);
        var audit = await h.AuditAsync(id);
        Assert.Equal(2, audit.Count(r => r.Kind == "gate-measurement" && r.Reason.Contains("no data")));
        Assert.DoesNotContain(audit, r => r.Kind == "decision-requested");
    }
}

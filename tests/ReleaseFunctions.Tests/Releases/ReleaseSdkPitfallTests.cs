using ReleaseFunctions.Core.Releases;
using ReleaseFunctions.Releases;
using ReleaseFunctions.Tests.Support;

namespace ReleaseFunctions.Tests.Releases;

/// <summary>
/// Two pitfalls of the Durable Task SDK the workflow is written around. durabletask-dotnet #508: a cancelled
/// <c>WaitForExternalEvent</c> keeps its place and swallows the next event of its name. #713: an orchestration with
/// a timer neither fired nor cancelled does not complete until the timer fires.
/// </summary>
public sealed class ReleaseSdkPitfallTests
{
    [Fact]
    public async Task A_rollback_sent_while_the_gate_measures_after_the_soak_timer_won_still_rolls_back()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        using var measuring = new SemaphoreSlim(0);
        using var measured = new ManualResetEventSlim();
        var first = 1;
        h.Sli.Canary = (_, _) =>
        {
            if (Interlocked.Exchange(ref first, 0) == 1)
            {
                measuring.Release();
                measured.Wait(TimeSpan.FromSeconds(30)); // the activity is still running when the command comes
            }

            return 0.001;
        };
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        var soak = EngineHistory.PendingTimers(await h.IdleAsync(id)).First(t => t.FireAt > h.Clock.GetUtcNow());
        Assert.Equal(5, h.Target.Weight);

        // The soak's timer wins its race against the command wait; the gate's measurement starts.
        h.Clock.Advance(soak.FireAt - h.Clock.GetUtcNow());
        Assert.True(await measuring.WaitAsync(TimeSpan.FromSeconds(30)), "the gate's measurement did not start");
        h.CountSent(id);
        await h.SendAsync(id, ReleaseCommandKind.Rollback, "alice", "while the gate measures");
        await Eventually.ReturnsAsync(async () => EngineHistory.EventsRaised(await h.HistoryAsync(id), ReleaseEvents.Command) == 1 ? "taken in" : null, "the command to reach the release");
        measured.Set();

        await h.RunAsync(id);
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        Assert.Contains("rollback requested by alice (while the gate measures)", outcome.Reason);
        Assert.Equal(0, h.Target.Weight);
        Assert.DoesNotContain(h.Target.Applied, a => a.Weight == 50); // taken at the next wait, not lost
    }

    [Fact]
    public async Task A_command_that_wins_over_a_soak_cancels_its_timer_so_the_release_ends_without_it_firing()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        var soak = EngineHistory.PendingTimers(await h.IdleAsync(id)).First(t => t.FireAt > h.Clock.GetUtcNow());

        await h.CommandAsync(id, ReleaseCommandKind.Abort, "alice", "not today");
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.Aborted, outcome.Status);
        Assert.Equal(0, h.Target.Weight);
        // The clock never reached the soak's end, and its timer never fired: the release completed because the timer was cancelled.
        Assert.True(h.Clock.GetUtcNow() < soak.FireAt);
        Assert.Contains(EngineHistory.PendingTimers(await h.HistoryAsync(id)), t => t.TaskId == soak.TaskId);
    }

    [Fact]
    public async Task Commands_in_a_row_across_timers_and_waits_are_each_taken_once()
    {
        await using var h = await ReleaseWorkflowHarness.StartAsync(Policies.Canary());
        var id = await h.StartReleaseAsync(ReleaseWorkflowHarness.Merge());
        await h.IdleAsync(id);

        // status mid-soak, a soak timer fires, pause and resume on the next step, then a rollback: each one is answered.
        await h.CommandAsync(id, ReleaseCommandKind.Status, "carol");
        await h.AdvanceToNextTimerAsync(id);
        await h.RunAsync(id, p => p?.WeightPercent == 25);
        await h.CommandAsync(id, ReleaseCommandKind.Pause, "carol");
        Assert.Equal(ReleaseStatus.Paused, (await h.ProgressAsync(id))!.Status);
        await h.CommandAsync(id, ReleaseCommandKind.Resume, "carol");
        await h.CommandAsync(id, ReleaseCommandKind.Rollback, "alice");
        var outcome = await h.OutcomeAsync(id);

        Assert.Equal(ReleaseStatus.RolledBack, outcome.Status);
        var audit = await h.AuditAsync(id);
        Assert.Single(audit, r => r.Kind == "paused");
        Assert.Single(audit, r => r.Kind == "resumed");
        Assert.DoesNotContain(audit, r => r.Kind == "command-refused");
    }
}
